import { randomBytes, randomUUID } from "node:crypto";
import { messages, runningProcesses } from "@tandem/db/schema";
import { LOCAL_OWNER, MESSAGE_CONTENT_MAX, type Message, messageSchema, textParts } from "@tandem/shared";
import type { UIMessageChunk } from "ai";
import { eq, sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { INTERRUPTED_ERROR } from "../src/assistant/generation-sql.ts";
import { toMessage } from "../src/rows.ts";
import { backends, useTestServer } from "./backends.ts";
import { chatPost, postChat, processesOf, projectMessages, storedMessage, waitFor } from "./chat.ts";
import {
  answerOf,
  call,
  createMessage,
  createProject,
  expectError,
  expectInvalid,
  OWN_ORIGIN,
} from "./http.ts";
import { scriptedText, useScriptedModel } from "./model.ts";
import { deltaText, REPLY_SHAPE, readAll, readAsUIMessage, SseReader, shape, textOf } from "./sse.ts";

/** The data of a data-message chunk, checked against the contract. */
const rowOf = (chunk: UIMessageChunk | undefined): Message => {
  if (chunk?.type !== "data-message") throw new Error(`Not a data-message chunk: ${JSON.stringify(chunk)}`);
  return messageSchema.parse(chunk.data);
};

const startOf = (chunk: UIMessageChunk | undefined): string => {
  if (chunk?.type !== "start" || !chunk.messageId)
    throw new Error(`Not a start chunk: ${JSON.stringify(chunk)}`);
  return chunk.messageId;
};

/** Reads until `count` text deltas have arrived. */
const untilDeltas = async (reader: SseReader, count: number) => {
  let seen = reader.chunks.filter((chunk) => chunk.type === "text-delta").length;
  if (seen >= count) return;
  await reader.until((chunk) => chunk.type === "text-delta" && ++seen >= count);
};

/** A script message with a tag of its own, so no two tests share the model's per-message state. */
const script = (directives: string) => `${directives} #${randomBytes(4).toString("hex")}`;

const POST_CHAT_SHAPE = (end: string) => [
  "start",
  "data-message:user:complete",
  "data-message:assistant:streaming",
  "text-start",
  "text-delta*",
  "text-end",
  ...(end === "error" || end === "interrupted" ? ["error"] : []),
  `data-message:assistant:${end}`,
  "finish",
];

describe.each(backends)("chat on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, {
    assistant: { model, flushMs: 40, heartbeatMs: 50, staleMs: 10_000 },
  });

  describe("POST /api/chat", () => {
    test("streams the reply in the UI message stream protocol and stores the same text", async () => {
      const project = await createProject(server);
      const userId = randomUUID();
      const content = script("[tokens:12]");
      const chunks = await readAll(await postChat(server, project.id, { id: userId, content }));

      expect(shape(chunks)).toEqual(POST_CHAT_SHAPE("complete"));
      const replyId = startOf(chunks[0]);
      const [user, reply] = await projectMessages(server, project.id);
      if (!user || !reply) throw new Error("Two messages were expected");
      expect(chunks[1]).toEqual({ type: "data-message", id: userId, data: toMessage(user), transient: true });
      expect(chunks[2]).toMatchObject({ type: "data-message", id: replyId, transient: true });
      expect(rowOf(chunks[2])).toMatchObject({
        id: replyId,
        role: "assistant",
        content: "",
        parts: [],
        version: 1,
      });
      expect(chunks.at(-2)).toEqual({
        type: "data-message",
        id: replyId,
        data: toMessage(reply),
        transient: true,
      });
      expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "stop" });

      expect(deltaText(chunks)).toBe(scriptedText(12));
      expect(reply).toMatchObject({
        id: replyId,
        role: "assistant",
        content: scriptedText(12),
        parts: [{ type: "text", text: scriptedText(12) }],
        status: "complete",
        error: null,
      });
      const [process] = await processesOf(server, replyId);
      expect(process).toMatchObject({
        projectId: project.id,
        status: "completed",
        model: "scripted",
        instanceId: server.assistant.instanceId,
        error: null,
        usage: { inputTokens: 10, outputTokens: 12, totalTokens: 22 },
      });
      expect(process?.finishedAt).toBeInstanceOf(Date);
    });

    test("the AI SDK's own reader (readUIMessageStream) reads the text that is then stored", async () => {
      const project = await createProject(server);
      const message = await readAsUIMessage(await postChat(server, project.id, script("[tokens:30]")));
      const stored = await storedMessage(server, message.id);
      expect(message.role).toBe("assistant");
      expect(textOf(message)).toBe(scriptedText(30));
      expect(stored).toMatchObject({ content: textOf(message), status: "complete" });
    });

    test("the reply comes after the user's message in the chat, whatever their ids", async () => {
      const project = await createProject(server);
      // The largest possible id, so id order would put the reply first.
      const userId = `ffffffff-ffff-4fff-bfff-${randomBytes(6).toString("hex")}`;
      const chunks = await readAll(await postChat(server, project.id, { id: userId, content: script("") }));
      const list = await call(server, "GET", `/api/projects/${project.id}/messages`);
      expect((list.body as Message[]).map((m) => [m.id, m.role])).toEqual([
        [userId, "user"],
        [startOf(chunks[0]), "assistant"],
      ]);
    });

    test("a message given as parts is stored with them and its text as content", async () => {
      const project = await createProject(server);
      const tag = script("[tokens:2]");
      const parts = [
        { type: "text", text: `${tag} ` },
        { type: "data-note", data: { n: 1 } },
        { type: "text", text: "and more" },
      ];
      const userId = randomUUID();
      await readAll(await postChat(server, project.id, { id: userId, parts }));
      expect(await storedMessage(server, userId)).toMatchObject({
        role: "user",
        content: `${tag} and more`,
        parts,
      });
    });

    test("a message given as content gets it as its one text part", async () => {
      const project = await createProject(server);
      const userId = randomUUID();
      const content = script("[tokens:1]");
      await readAll(await postChat(server, project.id, { id: userId, content }));
      expect(await storedMessage(server, userId)).toMatchObject({
        content,
        parts: [{ type: "text", text: content }],
      });
    });

    test("the model is given the project's history from the database, oldest first", async () => {
      const project = await createProject(server);
      const other = await createProject(server);
      // Clients may not post system messages; the server may hold them (project instructions).
      await server.handle.db.insert(messages).values({
        id: randomUUID(),
        projectId: project.id,
        role: "system",
        content: "Be brief.",
        parts: textParts("Be brief."),
      });
      await createMessage(server, project.id, { content: "First question" });
      await createMessage(server, other.id, { content: "Not this project" });
      const first = script("[tokens:2]");
      await readAll(await postChat(server, project.id, first));
      const second = script("[tokens:3]");
      await readAll(await postChat(server, project.id, second));

      const prompt = model.promptFor(second);
      expect(prompt.slice(1)).toEqual([
        ["system", "Be brief."],
        ["user", "First question"],
        ["user", first],
        ["assistant", scriptedText(2)],
        ["user", second],
      ]);
      expect(prompt[0]?.[0]).toBe("system");
      expect(prompt[0]?.[1]).toContain("Tandem");
    });

    test("the history is capped at the last 50 messages", async () => {
      const project = await createProject(server);
      const ids = Array.from({ length: 60 }, () => randomUUID());
      await server.handle.db.insert(messages).values(
        ids.map((id, i) => ({
          id,
          projectId: project.id,
          parentId: i === 0 ? null : ids[i - 1],
          role: "user" as const,
          content: `old #${i + 1}`,
          createdAt: sql`now() - ${`${60 - i} minutes`}::interval`,
        })),
      );
      const content = script("[tokens:1]");
      await readAll(await postChat(server, project.id, content));
      const history = model.promptFor(content).slice(1);
      expect(history).toHaveLength(50);
      expect(history[0]).toEqual(["user", "old #12"]);
      expect(history.at(-1)).toEqual(["user", content]);
    });

    test("a second message while a reply is written in the project is 409 generation_running, and stores nothing", async () => {
      const project = await createProject(server);
      const first = new SseReader(await postChat(server, project.id, script("[hang:2]")));
      const replyId = startOf(await first.next());
      await untilDeltas(first, 1);

      const secondId = randomUUID();
      const answer = await call(server, "POST", "/api/chat", {
        projectId: project.id,
        message: { id: secondId, content: "Are you done?" },
      });
      const error = expectError(answer, 409, "generation_running");
      expect(error.message).toMatch(/already being written/);
      expect(messageSchema.parse(error.current)).toMatchObject({ id: replyId, status: "streaming" });
      expect(await storedMessage(server, secondId)).toBeUndefined();

      // Another project is not held up.
      const other = await createProject(server);
      expect(shape(await readAll(await postChat(server, other.id, script(""))))).toEqual(
        POST_CHAT_SHAPE("complete"),
      );

      await chatPost(server, `/api/chat/${replyId}/stop`);
      await first.rest();
    });

    test("two messages racing in one project: one reply starts, the other is 409 generation_running", async () => {
      const project = await createProject(server);
      const responses = await Promise.all([
        postChat(server, project.id, script("[hang:0]")),
        postChat(server, project.id, script("[hang:0]")),
      ]);
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 409]);
      const loser = responses.find((response) => response.status === 409);
      const winner = responses.find((response) => response.status === 200);
      if (!loser || !winner) throw new Error("unreachable");
      expectError(await answerOf(loser), 409, "generation_running");
      const reader = new SseReader(winner);
      const replyId = startOf(await reader.next());
      await chatPost(server, `/api/chat/${replyId}/stop`);
      await reader.rest();
      expect(await projectMessages(server, project.id)).toHaveLength(2);
    });

    test("the database refuses a second running process in a project, as generation_running", async () => {
      const project = await createProject(server);
      const insertRunning = async () => {
        const [message] = await server.handle.db
          .insert(messages)
          .values({ id: randomUUID(), projectId: project.id, role: "assistant", status: "streaming" })
          .returning();
        await server.handle.db.insert(runningProcesses).values({
          id: randomUUID(),
          userId: LOCAL_OWNER.id,
          projectId: project.id,
          messageId: message?.id ?? "",
          model: "test",
          instanceId: "elsewhere",
        });
      };
      await insertRunning();
      const { databaseError } = await import("../src/http/database-error.ts");
      const failure = await insertRunning().catch((error: unknown) => error);
      expect(databaseError(failure)?.code).toBe("generation_running");
      await server.handle.db
        .update(runningProcesses)
        .set({ status: "interrupted" })
        .where(eq(runningProcesses.projectId, project.id));
    });

    test("sending the same message again while its reply runs follows that reply: no second generation", async () => {
      const project = await createProject(server);
      const message = { id: randomUUID(), content: script("[pause:3] [tokens:6]") };
      const first = new SseReader(await postChat(server, project.id, message));
      const replyId = startOf(await first.next());
      await untilDeltas(first, 3);

      const again = new SseReader(await postChat(server, project.id, message));
      expect(startOf(await again.next())).toBe(replyId);
      await again.until((chunk) => chunk.type === "text-start");
      expect(await again.next()).toMatchObject({ type: "text-delta", delta: scriptedText(3) });
      model.release(message.content);

      const [firstChunks, againChunks] = await Promise.all([first.rest(), again.rest()]);
      expect(shape(againChunks)).toEqual(POST_CHAT_SHAPE("complete"));
      expect(deltaText(againChunks)).toBe(scriptedText(6));
      expect(deltaText(firstChunks)).toBe(scriptedText(6));
      expect(model.callsFor(message.content)).toBe(1);
      expect(await projectMessages(server, project.id)).toHaveLength(2);
      expect(await processesOf(server, replyId)).toHaveLength(1);
    });

    test("sending the same message again after its reply ended replays that reply", async () => {
      const project = await createProject(server);
      const message = { id: randomUUID(), content: script("[tokens:4]") };
      const first = await readAll(await postChat(server, project.id, message));
      const again = await readAll(await postChat(server, project.id, message));

      expect(shape(again)).toEqual([
        "start",
        "data-message:user:complete",
        "data-message:assistant:complete",
        "text-start",
        "text-delta*",
        "text-end",
        "data-message:assistant:complete",
        "finish",
      ]);
      expect(startOf(again[0])).toBe(startOf(first[0]));
      expect(deltaText(again)).toBe(scriptedText(4));
      expect(model.callsFor(message.content)).toBe(1);
      expect(await projectMessages(server, project.id)).toHaveLength(2);
    });

    test("a message stored before (POST /api/messages) and then sent to the chat gets its reply", async () => {
      const project = await createProject(server);
      const content = script("[tokens:2]");
      const stored = await createMessage(server, project.id, { content });
      const chunks = await readAll(await postChat(server, project.id, { id: stored.id, content }));
      expect(shape(chunks)).toEqual(POST_CHAT_SHAPE("complete"));
      expect(rowOf(chunks[1])).toEqual(stored);
    });

    test("the same id with another text is 409 duplicate_id, and starts nothing", async () => {
      const project = await createProject(server);
      const message = { id: randomUUID(), content: script("[tokens:1]") };
      await readAll(await postChat(server, project.id, message));
      const answer = await call(server, "POST", "/api/chat", {
        projectId: project.id,
        message: { id: message.id, content: "Something else" },
      });
      const error = expectError(answer, 409, "duplicate_id");
      expect(error.current).toMatchObject({ id: message.id, content: message.content });
      expect(await projectMessages(server, project.id)).toHaveLength(2);
    });

    test("an unknown project is 404 and stores nothing", async () => {
      const id = randomUUID();
      const answer = await call(server, "POST", "/api/chat", {
        projectId: randomUUID(),
        message: { id, content: "Into the void" },
      });
      expectError(answer, 404, "not_found");
      expect(await storedMessage(server, id)).toBeUndefined();
    });

    test.each([
      ["no fields", { projectId: undefined, message: undefined }, ["projectId", "message"]],
      ["a projectId that is not a UUID", { projectId: "p1" }, ["projectId"]],
      ["an unknown field", { stream: true }, ["stream"]],
      ["a message id that is not a UUID", { message: { id: "m1", content: "Hi" } }, ["message.id"]],
      ["a message without content or parts", { message: { id: randomUUID() } }, ["message"]],
      ["an empty content", { message: { id: randomUUID(), content: "" } }, ["message.content"]],
      [
        "a content over the limit",
        { message: { id: randomUUID(), content: "c".repeat(MESSAGE_CONTENT_MAX + 1) } },
        ["message.content"],
      ],
      [
        "a role (only users chat)",
        { message: { id: randomUUID(), content: "Hi", role: "assistant" } },
        ["message.role"],
      ],
      [
        "parts without text",
        { message: { id: randomUUID(), parts: [{ type: "text", text: "  " }] } },
        ["message"],
      ],
      [
        "a part without a type",
        { message: { id: randomUUID(), parts: [{ text: "Hi" }] } },
        ["message.parts.0.type"],
      ],
      [
        "parts with more text than a message holds",
        {
          message: { id: randomUUID(), parts: [{ type: "text", text: "p".repeat(MESSAGE_CONTENT_MAX + 1) }] },
        },
        ["message.parts"],
      ],
    ])("a body with %s is 400 with its paths, and stores nothing", async (_, fields, paths) => {
      const project = await createProject(server);
      const body = { projectId: project.id, message: { id: randomUUID(), content: "Hi" }, ...fields };
      const before = await server.handle.db.$count(messages);
      expectInvalid(await call(server, "POST", "/api/chat", body), paths);
      expect(await server.handle.db.$count(messages)).toBe(before);
    });

    test("a body that is not JSON is 415; malformed JSON is 400 invalid_json", async () => {
      const plain = await server.app.request("/api/chat", {
        method: "POST",
        headers: { origin: OWN_ORIGIN },
        body: "hi",
      });
      expectError(await answerOf(plain), 415, "unsupported_media_type");
      const broken = await server.app.request("/api/chat", {
        method: "POST",
        headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
        body: '{"projectId":',
      });
      expectError(await answerOf(broken), 400, "invalid_json");
    });
  });

  describe("durable generation", () => {
    test("the row gets the text in batches while the reply streams", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:4]")));
      const replyId = startOf(await reader.next());
      const row = await waitFor("the first batch", async () => {
        const stored = await storedMessage(server, replyId);
        return stored?.content === scriptedText(4) && stored;
      });
      expect(row).toMatchObject({ status: "streaming", parts: [{ type: "text", text: scriptedText(4) }] });
      expect(row.version).toBeGreaterThan(1);
      await chatPost(server, `/api/chat/${replyId}/stop`);
      await reader.rest();
    });

    test("a long reply costs a few writes, not one per token", async () => {
      // An instance of its own with a slower flush, so writes per token stay far below 1/5.
      const assistant = new Assistant(server.handle, {
        model,
        flushMs: 200,
        heartbeatMs: 50,
        feed: server.feed,
      });
      const app = createApp({ db: server.handle, feed: server.feed, assistant });
      const project = await createProject({ app });
      const content = script("[tokens:200] [pause:100]");
      const reader = new SseReader(await postChat({ app }, project.id, content));
      const replyId = startOf(await reader.next());
      // At least one batch lands while it is paused halfway.
      await waitFor(
        "a batch",
        async () => (await storedMessage(server, replyId))?.content === scriptedText(100),
      );
      model.release(content);
      await reader.rest();

      const stored = await storedMessage(server, replyId);
      expect(stored).toMatchObject({ status: "complete", content: scriptedText(200) });
      // Version 1 at creation, +1 per batch, +1 for the end.
      const writes = (stored?.version ?? 0) - 1;
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThanOrEqual(200 / 5);
      await assistant.shutdown();
    });

    test("the client going away does not stop the reply: it completes in the database", async () => {
      const project = await createProject(server);
      const content = script("[pause:2] [tokens:8]");
      const reader = new SseReader(await postChat(server, project.id, content));
      const replyId = startOf(await reader.next());
      await untilDeltas(reader, 2);
      await reader.cancel();
      model.release(content);

      const stored = await waitFor("the reply to complete", async () => {
        const row = await storedMessage(server, replyId);
        return row?.status !== "streaming" && row;
      });
      expect(stored).toMatchObject({ status: "complete", content: scriptedText(8) });
      expect(await processesOf(server, replyId)).toMatchObject([{ status: "completed" }]);
    });

    test.each([
      // The provider's error chunk, and the connection dropping under the AI SDK's reader.
      ["an error part", "fail", /The model broke after 3 tokens/],
      ["the stream breaking", "crash", /^Failed to process successful response: terminated/],
    ])(
      "a model failing mid-stream (%s) ends the reply error, with the partial text and the error",
      async (_, mode, errorPattern) => {
        const errorText = expect.stringMatching(errorPattern);
        const project = await createProject(server);
        const chunks = await readAll(await postChat(server, project.id, script(`[${mode}:3]`)));
        const replyId = startOf(chunks[0]);

        expect(shape(chunks)).toEqual(POST_CHAT_SHAPE("error"));
        expect(chunks.find((chunk) => chunk.type === "error")).toEqual({ type: "error", errorText });
        expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "error" });
        expect(deltaText(chunks)).toBe(scriptedText(3));
        expect(rowOf(chunks.at(-2))).toMatchObject({
          status: "error",
          content: scriptedText(3),
          error: errorText,
        });
        expect(await storedMessage(server, replyId)).toMatchObject({
          status: "error",
          content: scriptedText(3),
          error: errorText,
        });
        expect(await processesOf(server, replyId)).toMatchObject([{ status: "failed", error: errorText }]);
      },
    );

    test("the AI SDK's reader takes a failed reply's stream without breaking", async () => {
      const project = await createProject(server);
      const message = await readAsUIMessage(await postChat(server, project.id, script("[fail:2]")), {
        terminateOnError: false,
      });
      expect(textOf(message)).toBe(scriptedText(2));
    });

    test("deleting the project mid-reply ends the generation", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:2]")));
      const replyId = startOf(await reader.next());
      await untilDeltas(reader, 2);
      expect((await call(server, "DELETE", `/api/projects/${project.id}`)).status).toBe(200);

      const chunks = await reader.rest();
      expect(shape(chunks).slice(-2)).toEqual(["text-end", "finish"]);
      await waitFor("the generation to end", () => server.assistant.generation(replyId) === undefined);
    });

    test("an instance shutting down marks its replies interrupted, keeping their text", async () => {
      const assistant = new Assistant(server.handle, {
        model,
        flushMs: 40,
        heartbeatMs: 50,
        feed: server.feed,
      });
      const app = createApp({ db: server.handle, feed: server.feed, assistant });
      const project = await createProject({ app });
      const reader = new SseReader(await postChat({ app }, project.id, script("[hang:3]")));
      const replyId = startOf(await reader.next());
      await untilDeltas(reader, 3);

      await assistant.shutdown();
      const chunks = await reader.rest();
      expect(shape(chunks)).toEqual(POST_CHAT_SHAPE("interrupted"));
      expect(chunks.find((chunk) => chunk.type === "error")).toEqual({
        type: "error",
        errorText: INTERRUPTED_ERROR,
      });
      expect(await storedMessage(server, replyId)).toMatchObject({
        status: "interrupted",
        content: scriptedText(3),
        error: INTERRUPTED_ERROR,
      });
      expect(await processesOf(server, replyId)).toMatchObject([{ status: "interrupted" }]);

      // What starts after the shutdown began is interrupted at once, never left streaming.
      const late = await readAll(
        await postChat({ app }, (await createProject({ app })).id, script("[hang:1]")),
      );
      expect(rowOf(late.at(-2))).toMatchObject({ status: "interrupted" });
    });
  });

  describe("POST /api/chat/:messageId/stop", () => {
    test("keeps the partial text, ends the stream, and answers the stopped row", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:3]")));
      const replyId = startOf(await reader.next());
      await untilDeltas(reader, 3);

      const answer = await call(server, "POST", `/api/chat/${replyId}/stop`);
      expect(answer.status).toBe(200);
      const stopped = messageSchema.parse(answer.body);
      expect(stopped).toMatchObject({
        id: replyId,
        status: "stopped",
        content: scriptedText(3),
        error: null,
      });

      const chunks = await reader.rest();
      expect(shape(chunks)).toEqual(POST_CHAT_SHAPE("stopped"));
      expect(chunks.at(-1)).toEqual({ type: "finish", finishReason: "other" });
      expect(rowOf(chunks.at(-2))).toEqual(stopped);
      expect(toMessage((await storedMessage(server, replyId)) ?? reject())).toEqual(stopped);
      const [process] = await processesOf(server, replyId);
      expect(process).toMatchObject({ status: "stopped" });
      expect(process?.finishedAt).toBeInstanceOf(Date);
    });

    test("of a reply that is not being written is 409 not_streaming with the row", async () => {
      const project = await createProject(server);
      const chunks = await readAll(await postChat(server, project.id, script("[tokens:1]")));
      const replyId = startOf(chunks[0]);
      const error = expectError(
        await call(server, "POST", `/api/chat/${replyId}/stop`),
        409,
        "not_streaming",
      );
      expect(error.current).toMatchObject({ id: replyId, status: "complete" });
      const userId = rowOf(chunks[1]).id;
      expectError(await call(server, "POST", `/api/chat/${userId}/stop`), 409, "not_streaming");
    });

    test("of an unknown message is 404; of a bad id 400", async () => {
      expectError(await call(server, "POST", `/api/chat/${randomUUID()}/stop`), 404, "not_found");
      expectInvalid(await call(server, "POST", "/api/chat/nope/stop"), ["messageId"]);
    });
  });

  describe("GET /api/chat/:messageId/stream", () => {
    test("a follower attaching mid-reply gets the text so far, then the tail, and ends with the stored text", async () => {
      const project = await createProject(server);
      const content = script("[pause:4] [tokens:10]");
      const first = new SseReader(await postChat(server, project.id, content));
      const replyId = startOf(await first.next());
      await untilDeltas(first, 4);

      const response = await server.app.request(`/api/chat/${replyId}/stream`);
      const follower = new SseReader(response);
      expect(startOf(await follower.next())).toBe(replyId);
      expect(rowOf(await follower.next())).toMatchObject({ id: replyId, status: "streaming" });
      expect(await follower.next()).toMatchObject({ type: "text-start" });
      expect(await follower.next()).toMatchObject({ type: "text-delta", delta: scriptedText(4) });
      model.release(content);

      const chunks = await follower.rest();
      await first.rest();
      expect(shape(chunks)).toEqual(REPLY_SHAPE);
      const stored = await storedMessage(server, replyId);
      expect(deltaText(chunks)).toBe(stored?.content);
      expect(stored).toMatchObject({ status: "complete", content: scriptedText(10) });
    });

    test("is 204 when nothing is being written for the message", async () => {
      const project = await createProject(server);
      const chunks = await readAll(await postChat(server, project.id, script("[tokens:1]")));
      for (const id of [startOf(chunks[0]), rowOf(chunks[1]).id]) {
        const response = await server.app.request(`/api/chat/${id}/stream`);
        expect(response.status).toBe(204);
        expect(await response.text()).toBe("");
      }
    });

    test("of an unknown message is 404; of a bad id 400", async () => {
      expectError(await call(server, "GET", `/api/chat/${randomUUID()}/stream`), 404, "not_found");
      expectInvalid(await call(server, "GET", "/api/chat/nope/stream"), ["messageId"]);
    });
  });

  describe("POST /api/chat/:messageId/retry", () => {
    test("writes a failed reply again: same id, text reset, new version, from the messages before it", async () => {
      const project = await createProject(server);
      const content = script("[fail:2] [once] [tokens:4]");
      const failed = await readAll(await postChat(server, project.id, content));
      const replyId = startOf(failed[0]);
      const failedRow = rowOf(failed.at(-2));
      expect(failedRow.status).toBe("error");
      const firstPrompt = model.promptFor(content);

      const chunks = await readAll(await chatPost(server, `/api/chat/${replyId}/retry`));
      expect(shape(chunks)).toEqual(REPLY_SHAPE);
      expect(startOf(chunks[0])).toBe(replyId);
      expect(rowOf(chunks[1])).toMatchObject({
        id: replyId,
        content: "",
        parts: [],
        error: null,
        version: failedRow.version + 1,
        createdAt: failedRow.createdAt,
      });
      expect(deltaText(chunks)).toBe(scriptedText(4));
      expect(await storedMessage(server, replyId)).toMatchObject({
        status: "complete",
        content: scriptedText(4),
      });
      expect(model.promptFor(content)).toEqual(firstPrompt);
      expect((await processesOf(server, replyId)).map((p) => p.status)).toEqual(["failed", "completed"]);
      expect(await projectMessages(server, project.id)).toHaveLength(2);
    });

    test("writes a stopped or complete reply again", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:2] [once] [tokens:3]")));
      const replyId = startOf(await reader.next());
      await untilDeltas(reader, 2);
      await chatPost(server, `/api/chat/${replyId}/stop`);
      await reader.rest();

      for (let round = 0; round < 2; round++) {
        const chunks = await readAll(await chatPost(server, `/api/chat/${replyId}/retry`));
        expect(rowOf(chunks.at(-2))).toMatchObject({ status: "complete", content: scriptedText(3) });
      }
    });

    test("of a user message is 400; of an unknown one 404; of a bad id 400", async () => {
      const project = await createProject(server);
      const user = await createMessage(server, project.id);
      expectInvalid(await call(server, "POST", `/api/chat/${user.id}/retry`), ["messageId"]);
      expectError(await call(server, "POST", `/api/chat/${randomUUID()}/retry`), 404, "not_found");
      expectInvalid(await call(server, "POST", "/api/chat/nope/retry"), ["messageId"]);
    });

    test("while a reply is written in the project is 409 generation_running", async () => {
      const project = await createProject(server);
      const ended = startOf((await readAll(await postChat(server, project.id, script("[tokens:1]"))))[0]);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:1]")));
      const running = startOf(await reader.next());

      for (const id of [ended, running]) {
        expectError(await call(server, "POST", `/api/chat/${id}/retry`), 409, "generation_running");
      }
      expect(await storedMessage(server, ended)).toMatchObject({
        status: "complete",
        content: scriptedText(1),
      });
      await chatPost(server, `/api/chat/${running}/stop`);
      await reader.rest();
    });
  });
});

function reject(): never {
  throw new Error("The row is missing");
}
