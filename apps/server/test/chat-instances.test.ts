import { randomBytes } from "node:crypto";
import type { DbHandle } from "@tandem/db/client";
import { runningProcesses } from "@tandem/db/schema";
import { messageSchema } from "@tandem/shared";
import type { UIMessageChunk } from "ai";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { INTERRUPTED_ERROR } from "../src/assistant/generation-sql.ts";
import { FeedHub } from "../src/feed/hub.ts";
import { backends, createTestDatabase, openDb, type TestDatabase } from "./backends.ts";
import { postChat, processesOf, storedMessage, waitFor } from "./chat.ts";
import { call, createProject, expectError } from "./http.ts";
import { scriptedText, useScriptedModel } from "./model.ts";
import { deltaText, REPLY_SHAPE, SseReader, shape } from "./sse.ts";

const script = (directives: string) => `${directives} #${randomBytes(4).toString("hex")}`;

const startOf = (chunk: UIMessageChunk | undefined) => {
  if (chunk?.type !== "start" || !chunk.messageId) throw new Error("Not a start chunk");
  return chunk.messageId;
};

const untilDeltas = async (reader: SseReader, count: number) => {
  let seen = 0;
  await reader.until((chunk) => chunk.type === "text-delta" && ++seen >= count);
};

/**
 * Two server instances on one database: with Postgres each has its own connection pool,
 * as two processes would; PGlite can only be opened once, so there they share it.
 */
describe.each(backends)("two instances on %s", (kind) => {
  const model = useScriptedModel();
  let database: TestDatabase | undefined;
  const handles: DbHandle[] = [];
  const instances: Array<{
    assistant: Assistant;
    feed: FeedHub;
    app: ReturnType<typeof createApp>;
    handle: DbHandle;
  }> = [];
  const settings = { model, flushMs: 30, heartbeatMs: 50, staleMs: 10_000 };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const first = await openDb(database.env);
    const second = kind === "postgres" ? await openDb(database.env) : first;
    handles.push(first, ...(second === first ? [] : [second]));
    for (const handle of [first, second]) {
      const feed = new FeedHub(handle);
      const assistant = new Assistant(handle, { ...settings, feed });
      instances.push({ assistant, feed, app: createApp({ db: handle, feed, assistant }), handle });
    }
  });

  afterAll(async () => {
    for (const { assistant, feed } of instances) {
      await assistant.shutdown();
      await feed.close();
    }
    for (const handle of handles) await handle.close();
    await database?.drop();
  });

  const a = () => instances[0] ?? fail();
  const b = () => instances[1] ?? fail();

  test("a follower on B of a reply written on A gets the stored text, then the tail through the database", async () => {
    const project = await createProject(a());
    const content = script("[pause:3] [tokens:8]");
    const writer = new SseReader(await postChat(a(), project.id, content));
    const replyId = startOf(await writer.next());
    await untilDeltas(writer, 3);
    await waitFor(
      "the first batch",
      async () => (await storedMessage(a(), replyId))?.content === scriptedText(3),
    );

    const follower = new SseReader(await b().app.request(`/api/chat/${replyId}/stream`));
    expect(startOf(await follower.next())).toBe(replyId);
    await follower.until((chunk) => chunk.type === "text-start");
    expect(await follower.next()).toMatchObject({ type: "text-delta", delta: scriptedText(3) });
    model.release(content);

    const chunks = await follower.rest();
    await writer.rest();
    expect(shape(chunks)).toEqual(REPLY_SHAPE);
    const stored = await storedMessage(a(), replyId);
    expect(stored).toMatchObject({ status: "complete", content: scriptedText(8) });
    expect(deltaText(chunks)).toBe(stored?.content);
  });

  test("a follower on B of a reply written on A ends with an error when the project is deleted", async () => {
    const project = await createProject(a());
    const writer = new SseReader(await postChat(a(), project.id, script("[hang:1]")));
    const replyId = startOf(await writer.next());
    const follower = new SseReader(await b().app.request(`/api/chat/${replyId}/stream`));
    expect(startOf(await follower.next())).toBe(replyId);

    // One feed event for the project and all in it: the follower must take it for its reply too.
    expect((await call(b(), "DELETE", `/api/projects/${project.id}`)).status).toBe(200);
    const chunks = await follower.rest();
    expect(chunks).toContainEqual({
      type: "error",
      errorText: "The message was deleted while it was being written",
    });
    await writer.rest();
  });

  test("B refuses a second message in a project A is writing a reply in", async () => {
    const project = await createProject(a());
    const writer = new SseReader(await postChat(a(), project.id, script("[hang:1]")));
    const replyId = startOf(await writer.next());
    const answer = await call(b(), "POST", "/api/chat", {
      projectId: project.id,
      message: { id: crypto.randomUUID(), content: "Me too" },
    });
    expectError(answer, 409, "generation_running");
    await call(a(), "POST", `/api/chat/${replyId}/stop`);
    await writer.rest();
  });

  test("stop on B ends a reply A is writing: stopped at once, then A writes its full text", async () => {
    const project = await createProject(a());
    const writer = new SseReader(await postChat(a(), project.id, script("[hang:3]")));
    const replyId = startOf(await writer.next());
    await untilDeltas(writer, 3);
    await waitFor(
      "the first batch",
      async () => (await storedMessage(a(), replyId))?.content === scriptedText(3),
    );

    const answer = await call(b(), "POST", `/api/chat/${replyId}/stop`);
    expect(answer.status).toBe(200);
    expect(messageSchema.parse(answer.body)).toMatchObject({ id: replyId, status: "stopped" });

    // A notices at its next heartbeat; its followers end with the stopped row.
    const chunks = await writer.rest();
    expect(shape(chunks).slice(-3)).toEqual(["text-end", "data-message:assistant:stopped", "finish"]);
    expect(await storedMessage(a(), replyId)).toMatchObject({ status: "stopped", content: scriptedText(3) });
    expect(await processesOf(a(), replyId)).toMatchObject([{ status: "stopped" }]);
    await waitFor("A to let go", () => a().assistant.generation(replyId) === undefined);
  });

  test("a reply whose process another instance marked interrupted ends interrupted, with its text", async () => {
    const project = await createProject(a());
    const writer = new SseReader(await postChat(a(), project.id, script("[hang:2]")));
    const replyId = startOf(await writer.next());
    await untilDeltas(writer, 2);

    // What B's sweeper does when A's heartbeat is late.
    await b()
      .handle.db.update(runningProcesses)
      .set({ status: "interrupted", error: INTERRUPTED_ERROR })
      .where(eq(runningProcesses.messageId, replyId));

    const chunks = await writer.rest();
    expect(shape(chunks).slice(-4)).toEqual([
      "text-end",
      "error",
      "data-message:assistant:interrupted",
      "finish",
    ]);
    expect(await storedMessage(a(), replyId)).toMatchObject({
      status: "interrupted",
      content: scriptedText(2),
      error: INTERRUPTED_ERROR,
    });
  });
});

function fail(): never {
  throw new Error("The instances are not up");
}
