import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projects } from "@tandem/db/schema";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { backends, useTestServer } from "./backends.ts";
import { answerOf, createProject, expectError, OWN_ORIGIN, type WithApp } from "./http.ts";

const json = { "content-type": "application/json" };

/** Sends a request to `url` (any host: `app.request` takes the Host from it) with these headers. */
const send = async (server: WithApp, url: string, init: RequestInit = {}): Promise<Response> =>
  server.app.request(url, init);

describe.each(backends)("the host allowlist and same-origin writes on %s", (kind) => {
  const server = useTestServer(kind);
  const projectCount = () => server.handle.db.$count(projects);

  test.each([
    "http://localhost/api/health",
    "http://localhost:3000/api/health",
    "http://127.0.0.1:4000/api/health",
    "http://[::1]:3000/api/health",
  ])("a loopback Host is served: %s", async (url) => {
    expect((await send(server, url)).status).toBe(200);
  });

  test.each([
    ["a rebound name", "http://attacker.example/api/projects"],
    ["a rebound name with our port", "http://attacker.example:3000/api/projects"],
    ["a LAN address", "http://192.168.1.20:3000/api/health"],
    ["a name that only starts like ours", "http://localhost.attacker.example/api/health"],
  ])("a foreign Host (%s) is 421 with the JSON envelope", async (_, url) => {
    expectError(await answerOf(await send(server, url)), 421, "misdirected_request");
  });

  test("a foreign Host is refused before the write is looked at: nothing is stored", async () => {
    const before = await projectCount();
    const answer = await send(server, "http://attacker.example:3000/api/projects", {
      method: "POST",
      headers: { ...json, origin: "http://attacker.example:3000" },
      body: JSON.stringify({ id: randomUUID(), name: "Rebound" }),
    });
    expectError(await answerOf(answer), 421, "misdirected_request");
    expect(await projectCount()).toBe(before);
  });

  test("a cross-site POST, PATCH and DELETE from a browser are 403 and change nothing", async () => {
    const project = await createProject(server, { name: "Mine" });
    const before = await projectCount();
    const evil = { ...json, origin: "https://attacker.example" };
    const id = randomUUID();
    const writes = [
      send(server, "/api/projects", {
        method: "POST",
        headers: evil,
        body: JSON.stringify({ id, name: "Theirs" }),
      }),
      send(server, `/api/projects/${project.id}`, {
        method: "PATCH",
        headers: evil,
        body: JSON.stringify({ name: "Renamed", version: project.version }),
      }),
      send(server, `/api/projects/${project.id}`, { method: "DELETE", headers: evil }),
      send(server, "/api/chat", {
        method: "POST",
        headers: evil,
        body: JSON.stringify({ projectId: project.id, message: { id: randomUUID(), content: "Hi" } }),
      }),
    ];
    for (const answer of await Promise.all(writes)) {
      expectError(await answerOf(answer), 403, "cross_origin");
    }
    expect(await projectCount()).toBe(before);
    const [stored] = await server.handle.db.select().from(projects).where(eq(projects.id, project.id));
    expect(stored).toMatchObject({ name: "Mine", version: project.version });
  });

  test.each([
    ["no Origin", {}],
    ["Origin null (a sandboxed frame, a redirect)", { origin: "null" }],
    ["another app on this machine", { origin: "http://localhost:5173" }],
    ["our host over another scheme", { origin: "ftp://localhost" }],
    ["garbage", { origin: "not a url" }],
  ])("a write with %s is 403", async (_, headers: Record<string, string>) => {
    const before = await projectCount();
    const answer = await send(server, "/api/projects", {
      method: "POST",
      headers: { ...json, ...headers },
      body: JSON.stringify({ id: randomUUID(), name: "Refused" }),
    });
    expectError(await answerOf(answer), 403, "cross_origin");
    expect(await projectCount()).toBe(before);
  });

  test("a same-origin write works, at whichever loopback host and port the page was opened", async () => {
    for (const origin of [OWN_ORIGIN, "http://127.0.0.1:4000", "http://[::1]:3000"]) {
      const answer = await send(server, `${origin}/api/projects`, {
        method: "POST",
        headers: { ...json, origin },
        body: JSON.stringify({ id: randomUUID(), name: `From ${origin}` }),
      });
      expect(answer.status).toBe(201);
    }
  });

  test("a read needs no Origin", async () => {
    expect((await send(server, "/api/projects")).status).toBe(200);
  });

  describe("with PUBLIC_URL", () => {
    const publicUrl = "https://tandem.example.com";
    let app: ReturnType<typeof createApp> | undefined;
    const behindProxy = () => ({ app: app ?? fail() });
    beforeAll(() => {
      app = createApp({ db: server.handle, feed: server.feed, assistant: server.assistant, publicUrl });
    });

    test("its host is served, and writes from its origin work; loopback still works", async () => {
      expect((await send(behindProxy(), "https://tandem.example.com/api/health")).status).toBe(200);
      // TLS ends at the proxy, which passes the Host on: the server sees http.
      const answer = await send(behindProxy(), "http://tandem.example.com/api/projects", {
        method: "POST",
        headers: { ...json, origin: publicUrl },
        body: JSON.stringify({ id: randomUUID(), name: "Through the proxy" }),
      });
      expect(answer.status).toBe(201);
      expect((await send(behindProxy(), "http://127.0.0.1:3000/api/health")).status).toBe(200);
    });

    test("other hosts are still 421, and other origins 403", async () => {
      const foreign = await send(behindProxy(), "http://evil.example.com/api/health");
      expectError(await answerOf(foreign), 421, "misdirected_request");
      const crossSite = await send(behindProxy(), "https://tandem.example.com/api/projects", {
        method: "POST",
        headers: { ...json, origin: "https://evil.example.com" },
        body: JSON.stringify({ id: randomUUID(), name: "Cross-site" }),
      });
      expectError(await answerOf(crossSite), 403, "cross_origin");
    });
  });
});

describe("security headers", () => {
  const server = useTestServer("pglite");
  let webRoot = "";
  let app: ReturnType<typeof createApp> | undefined;
  const withWeb = () => ({ app: app ?? fail() });

  beforeAll(async () => {
    webRoot = await mkdtemp(join(tmpdir(), "tandem-web-"));
    await mkdir(join(webRoot, "assets"));
    await writeFile(join(webRoot, "index.html"), "<!doctype html><title>Tandem</title>");
    await writeFile(join(webRoot, "assets", "index-abc123.js"), "console.log('app')");
    await writeFile(join(webRoot, "sw.js"), "self.addEventListener('fetch', () => {})");
    app = createApp({ db: server.handle, feed: server.feed, assistant: server.assistant, webRoot });
  });
  afterAll(() => rm(webRoot, { recursive: true, force: true }));

  const expectSecured = (response: Response, what: string) => {
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toMatch(/img-src 'self' data: blob:(;|$)/);
    expect(response.headers.get("x-content-type-options"), what).toBe("nosniff");
    expect(response.headers.get("x-frame-options"), what).toBe("DENY");
    expect(response.headers.get("referrer-policy"), what).toBe("no-referrer");
  };

  test("on every answer: API, errors, refusals, the app shell, its assets and its service worker", async () => {
    const project = await createProject(withWeb());
    const answers: [string, Promise<Response>][] = [
      ["health", send(withWeb(), "/api/health")],
      ["a list", send(withWeb(), "/api/projects")],
      [
        "a write",
        send(withWeb(), "/api/projects", {
          method: "POST",
          headers: { ...json, origin: OWN_ORIGIN },
          body: JSON.stringify({ id: randomUUID(), name: "Headers" }),
        }),
      ],
      ["a 404", send(withWeb(), `/api/projects/${randomUUID()}/nope`)],
      ["a 400", send(withWeb(), `/api/projects/${project.id}/messages?limit=x`)],
      ["a 403", send(withWeb(), "/api/projects", { method: "POST", headers: json, body: "{}" })],
      ["a 421", send(withWeb(), "http://attacker.example/api/health")],
      ["the app shell", send(withWeb(), "/")],
      ["a deep link", send(withWeb(), `/projects/${project.id}`)],
      ["an asset", send(withWeb(), "/assets/index-abc123.js")],
      ["a missing asset", send(withWeb(), "/assets/missing.js")],
      ["the service worker", send(withWeb(), "/sw.js")],
    ];
    for (const [what, answer] of answers) expectSecured(await answer, what);
    const feed = await send(withWeb(), "/api/changes");
    expectSecured(feed, "the change feed");
    await feed.body?.cancel();
  });
});

function fail(): never {
  throw new Error("The app is not up: use it inside a test or hook");
}
