import { randomUUID } from "node:crypto";
import { messages, projectMembers, projects, signInAttempts } from "@tandem/db/schema";
import { LOCAL_OWNER, type Project, sessionInfoSchema } from "@tandem/shared";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { newEmail, PASSWORD, type SignedIn, send, signIn, signUp } from "./accounts.ts";
import { backends, TEST_AUTH_SECRET, useTestServer } from "./backends.ts";
import { answerOf, call, createProject, expectError } from "./http.ts";

describe.each(backends)("accounts on %s", (kind) => {
  const server = useTestServer(kind, { auth: { mode: "accounts", signIn: { maxAttempts: 3 } } });

  test("GET /api/session without a session: accounts mode, sign-up open, nobody; never cached", async () => {
    const response = await send(server, "GET", "/api/session");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await answerOf(response)).toEqual({
      status: 200,
      body: { mode: "accounts", allowSignup: true, user: null },
    });
  });

  test("sign-up signs in: the session names the new user; the cookie is httpOnly", async () => {
    const email = newEmail("ann");
    const response = await send(server, "POST", "/api/auth/sign-up/email", {
      name: "Ann",
      email,
      password: PASSWORD,
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.getSetCookie().find((line) => line.includes("session_token="));
    expect(setCookie).toMatch(/HttpOnly/i);
    const cookie = setCookie?.split(";")[0] ?? "";
    const session = sessionInfoSchema.parse(
      (await answerOf(await send(server, "GET", "/api/session", undefined, cookie))).body,
    );
    expect(session).toMatchObject({ mode: "accounts", user: { name: "Ann", email } });
    const getSession = await send(server, "GET", "/api/auth/get-session", undefined, cookie);
    expect(((await getSession.json()) as { user: { email: string } }).user.email).toBe(email);
  });

  test("sign-in with the right password works; a wrong one is better-auth's 401", async () => {
    const ann = await signUp(server, { name: "Ann" });
    const again = await signIn(server, ann.user.email);
    expect("user" in again && again.user.id).toBe(ann.user.id);
    const wrong = await signIn(server, ann.user.email, "not the password");
    expect(wrong).toBeInstanceOf(Response);
    expect((wrong as Response).status).toBe(401);
  });

  test("a sign-up, sign-in or sign-out from another site is refused (403 cross_origin)", async () => {
    const answer = await answerOf(
      await server.app.request("/api/auth/sign-up/email", {
        method: "POST",
        headers: { origin: "https://evil.example", "content-type": "application/json" },
        body: JSON.stringify({ name: "Eve", email: newEmail("eve"), password: PASSWORD }),
      }),
    );
    expectError(answer, 403, "cross_origin");
  });

  test("sign-out ends the session: the same cookie then gets 401", async () => {
    const ann = await signUp(server, { name: "Ann" });
    const project = await ann.createProject();
    expect((await ann.call("GET", "/api/projects")).status).toBe(200);
    const out = await ann.request("POST", "/api/auth/sign-out", {});
    expect(out.status).toBe(200);
    expectError(await ann.call("GET", "/api/projects"), 401, "unauthorized");
    // A route naming a project reads the session with the membership: 401 all the same.
    expectError(await ann.call("GET", `/api/projects/${project.id}/messages`), 401, "unauthorized");
    const id = randomUUID();
    const write = await ann.call("POST", "/api/messages", { id, projectId: project.id, content: "Too late" });
    expectError(write, 401, "unauthorized");
    expect(await server.handle.db.$count(messages, eq(messages.id, id))).toBe(0);
    expect((await ann.call("GET", "/api/session")).body).toMatchObject({ user: null });
  });

  test("a forged or tampered session cookie is 401", async () => {
    const ann = await signUp(server, { name: "Ann" });
    const [name, value = ""] = ann.cookie.split("=");
    const token = decodeURIComponent(value).split(".")[0];
    const forged = `${name}=${encodeURIComponent(`${token}.${Buffer.alloc(32).toString("base64")}`)}`;
    expectError(
      await answerOf(await send(server, "GET", "/api/projects", undefined, forged)),
      401,
      "unauthorized",
    );
    const unsigned = `${name}=${token}`;
    expectError(
      await answerOf(await send(server, "GET", "/api/projects", undefined, unsigned)),
      401,
      "unauthorized",
    );
  });

  test("sign-in is throttled per email and address: 429 rate_limited with Retry-After, across instances", async () => {
    const ann = await signUp(server, { name: "Ann" });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(((await signIn(server, ann.user.email, "wrong")) as Response).status).toBe(401);
    }
    const limited = (await signIn(server, ann.user.email, "wrong")) as Response;
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expectError(await answerOf(limited), 429, "rate_limited");
    // The right password too: the throttle comes before the password is checked.
    const right = await signIn(server, ann.user.email);
    expect(right).toBeInstanceOf(Response);
    expect((right as Response).status).toBe(429);

    // Another instance on the same database counts the same attempts.
    const other = {
      app: createApp({
        db: server.handle,
        feed: server.feed,
        assistant: server.assistant,
        auth: { mode: "accounts", secret: TEST_AUTH_SECRET, signIn: { maxAttempts: 3 } },
      }),
    };
    expect(((await signIn(other, ann.user.email)) as Response).status).toBe(429);

    // Another email from the same address is not held back.
    const bob = await signUp(server, { name: "Bob" });
    expect("user" in (await signIn(server, bob.user.email))).toBe(true);
  });

  test("a successful sign-in clears the count", async () => {
    const ann = await signUp(server, { name: "Ann" });
    await signIn(server, ann.user.email, "wrong");
    await signIn(server, ann.user.email, "wrong");
    expect("user" in (await signIn(server, ann.user.email))).toBe(true);
    const rows = await server.handle.db
      .select()
      .from(signInAttempts)
      .where(eq(signInAttempts.key, `${ann.user.email}\nunknown`));
    expect(rows).toEqual([]);
    for (let attempt = 0; attempt < 3; attempt++) await signIn(server, ann.user.email, "wrong");
    expect("user" in (await signIn(server, ann.user.email, "wrong"))).toBe(false);
  });
});

describe.each(backends)("sign-up turned off on %s", (kind) => {
  const server = useTestServer(kind, { auth: { mode: "accounts", allowSignup: false } });

  test("GET /api/session says so, and sign-up answers 403 signup_disabled", async () => {
    expect((await answerOf(await send(server, "GET", "/api/session"))).body).toEqual({
      mode: "accounts",
      allowSignup: false,
      user: null,
    });
    const email = newEmail("late");
    const answer = await answerOf(
      await send(server, "POST", "/api/auth/sign-up/email", { name: "Late", email, password: PASSWORD }),
    );
    expectError(answer, 403, "signup_disabled");
    expect(await signIn(server, email)).toBeInstanceOf(Response);
  });
});

describe.each(backends)("AUTH=local on %s", (kind) => {
  const server = useTestServer(kind);

  test("GET /api/session: local mode, the owner, no sign-up", async () => {
    expect(await call(server, "GET", "/api/session")).toEqual({
      status: 200,
      body: { mode: "local", allowSignup: false, user: { ...LOCAL_OWNER } },
    });
  });

  test.each([
    ["POST", "/api/auth/sign-up/email"],
    ["POST", "/api/auth/sign-in/email"],
    ["POST", "/api/auth/sign-out"],
    ["GET", "/api/auth/get-session"],
  ])("%s %s is 404: nobody signs in", async (method, path) => {
    const body = method === "POST" ? { name: "X", email: "x@example.com", password: PASSWORD } : undefined;
    expectError(await call(server, method, path, body), 404, "not_found");
  });

  test("everything runs as the owner, without a cookie: projects are theirs", async () => {
    const project = await createProject(server);
    expect(project.ownerId).toBe(LOCAL_OWNER.id);
    const members = await call(server, "GET", `/api/projects/${project.id}/members`);
    expect(members.body).toEqual([
      { userId: LOCAL_OWNER.id, email: LOCAL_OWNER.email, name: LOCAL_OWNER.name, role: "owner" },
    ]);
  });
});

describe.each(backends)("switching a local install to accounts on %s", (kind) => {
  const server = useTestServer(kind);

  test("the first account made takes over the owner's projects; later ones get none", async () => {
    const before: Project[] = [
      await createProject(server, { name: "Old one" }),
      await createProject(server, { name: "Old two" }),
    ];
    const accounts = {
      app: createApp({
        db: server.handle,
        feed: server.feed,
        assistant: server.assistant,
        auth: { mode: "accounts", secret: TEST_AUTH_SECRET },
      }),
    };
    const first: SignedIn = await signUp(accounts, { name: "First" });
    const second: SignedIn = await signUp(accounts, { name: "Second" });

    const listed = (await first.call("GET", "/api/projects")).body as Project[];
    expect(listed.map((project) => project.id)).toEqual(before.map((project) => project.id));
    for (const project of listed) expect(project).toMatchObject({ ownerId: first.user.id, version: 2 });
    expect((await second.call("GET", "/api/projects")).body).toEqual([]);

    const owners = await server.handle.db
      .select({ userId: projectMembers.userId, role: projectMembers.role })
      .from(projectMembers)
      .innerJoin(projects, eq(projects.id, projectMembers.projectId))
      .where(eq(projects.name, "Old one"));
    expect(owners).toEqual([{ userId: first.user.id, role: "owner" }]);
    // The new owner can share them as usual.
    const invite = await first.call("POST", `/api/projects/${before[0]?.id}/members`, {
      email: second.user.email,
    });
    expect(invite.status).toBe(201);
  });
});
