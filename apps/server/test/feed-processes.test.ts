import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { offlineReply } from "../src/assistant/offline-reply.ts";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";
import { FeedReader } from "./feed.ts";
import { type RunningServer, SERVER_START_MS, startServer } from "./processes.ts";
import { deltaText, SseReader } from "./sse.ts";

async function send(server: RunningServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { origin: server.url, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { id: string } };
}

const feedOf = async (server: RunningServer, headers: Record<string, string> = {}) =>
  new FeedReader(await fetch(`${server.url}/api/changes`, { headers }));

// Two server processes need a database both can open: Postgres.
describe.skipIf(!backends.includes("postgres"))("two server processes on one Postgres", () => {
  let database: TestDatabase | undefined;
  const servers: RunningServer[] = [];
  const a = () => servers[0] ?? fail();
  const b = () => servers[1] ?? fail();

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    const env = {
      DATABASE_URL: database.env.DATABASE_URL,
      FEED_KEEPALIVE_MS: "200",
      ASSISTANT_TOKEN_DELAY_MS: "20",
    };
    servers.push(...(await Promise.all([startServer(env), startServer(env)])));
  }, SERVER_START_MS + 30_000);

  afterAll(async () => {
    for (const server of servers) {
      if (server.child.exitCode !== null) continue;
      server.child.kill("SIGTERM");
      await once(server.child, "exit");
    }
    await database?.drop();
  });

  test("a change made through one is on the other's feed, and a client moving over resumes without a gap", async () => {
    const onB = await feedOf(b());
    expect((await onB.nextEvent()).type).toBe("ready");

    const project = await send(a(), "POST", "/api/projects", { id: randomUUID(), name: "Shared" });
    expect(project.status).toBe(201);
    const created = await onB.nextChange();
    expect(created.event).toMatchObject({ entity: "project", op: "upsert", id: project.body.id });
    await onB.close();

    // Made on B while the client is away; the client comes back on A with its last id.
    const renamed = await send(b(), "PATCH", `/api/projects/${project.body.id}`, {
      name: "Moved",
      version: 1,
    });
    expect(renamed.status).toBe(200);
    const onA = await feedOf(a(), { "last-event-id": created.id });
    expect(await onA.nextEvent()).toMatchObject({ type: "ready", position: created.id });
    expect((await onA.nextChange()).event.row).toEqual(renamed.body);
    expect(await onA.next()).toEqual({ type: "comment", text: ": keep-alive" });
    await onA.close();
  });

  test("a reply written by one is followed live on the other (through its feed)", async () => {
    const project = await send(a(), "POST", "/api/projects", { id: randomUUID(), name: "Chat" });
    const content = "Tell me about the release plan, in detail please.";
    const writer = new SseReader(
      await a().api.chat.$post({
        json: { projectId: project.body.id, message: { id: randomUUID(), content } },
      }),
    );
    const start = await writer.next();
    if (start?.type !== "start" || !start.messageId) throw new Error("No start chunk");
    const follower = new SseReader(
      await b().api.chat[":messageId"].stream.$get({ param: { messageId: start.messageId } }),
    );
    const chunks = await follower.rest();
    await writer.rest();
    expect(deltaText(chunks)).toBe(offlineReply(content));
    // Batch by batch as A wrote them, not in one piece at the end.
    expect(chunks.filter((chunk) => chunk.type === "text-delta").length).toBeGreaterThan(2);
  });
});

function fail(): never {
  throw new Error("The servers are not up");
}
