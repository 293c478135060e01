import { Api, expect, signUpByApi, startAccountsServer, test } from "./fixtures.ts";
import { APP_PORT } from "./suite.ts";

// The server side of AUTH=accounts as a browser's requests reach it over HTTP; the
// sign-in UI has specs of its own.
test("a server in AUTH=accounts: nothing without a session, each account its own projects", async () => {
  const server = await startAccountsServer(APP_PORT + 70);
  try {
    const session = await fetch(`${server.url}/api/session`);
    expect(await session.json()).toEqual({ mode: "accounts", allowSignup: true, user: null });
    const anonymous = await fetch(`${server.url}/api/projects`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: { code: "unauthorized" } });

    const ann = await signUpByApi(server.url, { name: "Ann" });
    const bob = await signUpByApi(server.url, { name: "Bob" });
    const annApi = new Api(server.url, ann.cookie);
    const project = await annApi.createProject("Ann's plans");
    expect(project.ownerId).toBe(ann.user.id);
    expect((await new Api(server.url, bob.cookie).projects()).map((row) => row.id)).not.toContain(project.id);

    const mine = await fetch(`${server.url}/api/session`, { headers: { cookie: ann.cookie } });
    expect(await mine.json()).toMatchObject({ mode: "accounts", user: { id: ann.user.id } });
  } finally {
    await server.stop();
  }
});
