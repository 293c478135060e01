import { randomUUID } from "node:crypto";
import {
  failMessage,
  type ScriptedModel,
  scriptedText,
  startScriptedModel,
} from "@tandem/testing/scripted-model";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { chatModel } from "../src/assistant/model.ts";
import { backends, useTestServer } from "./backends.ts";
import { postChat, processesOf, storedMessage } from "./chat.ts";
import { createMessage, createProject } from "./http.ts";
import { deltaText, readAll, shape } from "./sse.ts";

describe.each(backends)("an OpenAI-compatible model through AI_BASE_URL on %s", (kind) => {
  let fake: ScriptedModel | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  let assistant: Assistant | undefined;
  const server = useTestServer(kind);

  beforeAll(async () => {
    fake = await startScriptedModel();
    const model = chatModel({
      AI_BASE_URL: fake.url,
      AI_MODEL: "fake-model",
      AI_API_KEY: "sk-test",
      ASSISTANT_TOKEN_DELAY_MS: 0,
    });
    assistant = new Assistant(server.handle, { model, flushMs: 20, heartbeatMs: 50, feed: server.feed });
    app = createApp({ db: server.handle, feed: server.feed, assistant });
  });

  afterAll(async () => {
    await assistant?.shutdown();
    await fake?.close();
  });

  const withApp = () => ({ app: app ?? fail() });

  test("streams the model's reply and stores it, with the history and key sent to the model", async () => {
    const project = await createProject(withApp());
    await createMessage(withApp(), project.id, { content: "Earlier question" });
    const chunks = await readAll(await postChat(withApp(), project.id, "Say hello [tokens:5]"));

    expect(shape(chunks)).toEqual([
      "start",
      "data-message:user:complete",
      "data-message:assistant:streaming",
      "text-start",
      "text-delta*",
      "text-end",
      "data-message:assistant:complete",
      "finish",
    ]);
    expect(deltaText(chunks)).toBe(scriptedText(5));
    const replyId = (chunks[0] as { messageId: string }).messageId;
    expect(await storedMessage(server, replyId)).toMatchObject({
      status: "complete",
      content: scriptedText(5),
    });
    expect(await processesOf(server, replyId)).toMatchObject([
      {
        status: "completed",
        model: "fake-model",
        usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      },
    ]);

    const request = fake?.requests.at(-1);
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe("Bearer sk-test");
    expect(request).toMatchObject({ model: "fake-model", stream: true });
    expect(request?.messages.slice(1)).toEqual([
      { role: "user", content: "Earlier question" },
      { role: "user", content: "Say hello [tokens:5]" },
    ]);
    expect(request?.messages[0]?.role).toBe("system");
  });

  test("a refused request (401) ends the reply error, with the server's message", async () => {
    const project = await createProject(withApp());
    const chunks = await readAll(await postChat(withApp(), project.id, "[status:401] hello"));
    const replyId = (chunks[0] as { messageId: string }).messageId;
    const stored = await storedMessage(server, replyId);
    expect(stored).toMatchObject({ status: "error", content: "" });
    expect(stored?.error).toContain("Scripted refusal (401)");
    expect(chunks.find((chunk) => chunk.type === "error")).toMatchObject({ errorText: stored?.error });
  });

  test("a connection that breaks mid-stream ends the reply error, with the text so far", async () => {
    const project = await createProject(withApp());
    const chunks = await readAll(
      await postChat(withApp(), project.id, `[tokens:5] [crash:2] ${randomUUID()}`),
    );
    const replyId = (chunks[0] as { messageId: string }).messageId;
    const stored = await storedMessage(server, replyId);
    expect(stored).toMatchObject({ status: "error", content: scriptedText(2) });
    // The AI SDK's error and what lies under it (the connection was cut).
    expect(stored?.error).toMatch(/^Failed to process successful response: terminated/);
    expect(deltaText(chunks)).toBe(scriptedText(2));
  });

  test("an error chunk mid-stream ends the reply error with the server's message, not its JSON", async () => {
    const project = await createProject(withApp());
    const chunks = await readAll(
      await postChat(withApp(), project.id, `[tokens:5] [fail:2] ${randomUUID()}`),
    );
    const replyId = (chunks[0] as { messageId: string }).messageId;
    const stored = await storedMessage(server, replyId);
    expect(stored).toMatchObject({ status: "error", content: scriptedText(2), error: failMessage(2) });
    expect(chunks.find((chunk) => chunk.type === "error")).toMatchObject({ errorText: failMessage(2) });
  });

  test.each([
    ["refused connection", (port: string) => `http://127.0.0.1:${port}/v1`],
    [
      "URL with credentials",
      (port: string) => `http://admin:hunter2@127.0.0.1:${port}/v1?api_key=sk-query-secret-123`,
    ],
  ])(
    "a model server that fails (%s): the error names neither its address nor its credentials",
    async (_, urlAt) => {
      // A port nothing listens on.
      const unreachable = await startScriptedModel();
      const port = new URL(unreachable.url).port;
      await unreachable.close();
      const broken = new Assistant(server.handle, {
        model: chatModel({
          AI_BASE_URL: urlAt(port),
          AI_MODEL: "m",
          AI_API_KEY: "sk-header-secret-456",
          ASSISTANT_TOKEN_DELAY_MS: 0,
        }),
        flushMs: 20,
        heartbeatMs: 50,
        feed: server.feed,
      });
      try {
        const elsewhere = { app: createApp({ db: server.handle, feed: server.feed, assistant: broken }) };
        const project = await createProject(elsewhere);
        const chunks = await readAll(await postChat(elsewhere, project.id, "Hello?"));
        const replyId = (chunks[0] as { messageId: string }).messageId;
        const stored = await storedMessage(server, replyId);
        expect(stored?.status).toBe("error");
        const shown = [stored?.error ?? "", chunks.find((chunk) => chunk.type === "error")?.errorText ?? ""];
        for (const text of shown) {
          expect(text).not.toBe("");
          for (const secret of [
            "127.0.0.1",
            port,
            "admin",
            "hunter2",
            "sk-query-secret-123",
            "sk-header-secret-456",
          ]) {
            expect(text).not.toContain(secret);
          }
        }
      } finally {
        await broken.shutdown();
      }
    },
  );
});

function fail(): never {
  throw new Error("The app is not up");
}

describe.each(backends)("the limits of a model call on %s", (kind) => {
  let fake: ScriptedModel | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  let assistant: Assistant | undefined;
  const server = useTestServer(kind);
  const limits = { maxOutputTokens: 7, chunkTimeoutMs: 1000, timeoutMs: 2500, historyChars: 1000 };

  beforeAll(async () => {
    fake = await startScriptedModel();
    const model = chatModel({ AI_BASE_URL: fake.url, AI_MODEL: "fake-model", ASSISTANT_TOKEN_DELAY_MS: 0 });
    assistant = new Assistant(server.handle, {
      model,
      flushMs: 20,
      heartbeatMs: 50,
      feed: server.feed,
      ...limits,
    });
    app = createApp({ db: server.handle, feed: server.feed, assistant });
  });

  afterAll(async () => {
    await assistant?.shutdown();
    await fake?.close();
  });

  const withApp = () => ({ app: app ?? fail() });
  const replyTo = async (text: string) => {
    const project = await createProject(withApp());
    const chunks = await readAll(await postChat(withApp(), project.id, text));
    return storedMessage(server, (chunks[0] as { messageId: string }).messageId);
  };

  test("the model is asked for at most MODEL_MAX_OUTPUT_TOKENS", async () => {
    const text = `Short [tokens:3] ${randomUUID()}`;
    expect(await replyTo(text)).toMatchObject({ status: "complete" });
    expect(fake?.requests.findLast((request) => request.userText === text)?.maxTokens).toBe(7);
  });

  test("a model that goes quiet fails the reply after MODEL_CHUNK_TIMEOUT, its text kept", async () => {
    expect(await replyTo(`[tokens:5] [hang:2] ${randomUUID()}`)).toMatchObject({
      status: "error",
      content: scriptedText(2),
      error: "The model sent nothing for 1 s",
    });
  });

  test("a reply not finished within MODEL_TIMEOUT fails, its text kept", async () => {
    const stored = await replyTo(`[tokens:100] [delay:150] ${randomUUID()}`);
    expect(stored).toMatchObject({ status: "error", error: "The model did not finish within 2.5 s" });
    expect(stored?.content).not.toBe("");
    expect(scriptedText(100).startsWith(stored?.content ?? "-")).toBe(true);
  });

  test("the history sent is the newest messages within MODEL_HISTORY_CHARS", async () => {
    const project = await createProject(withApp());
    for (const letter of ["a", "b", "c"]) {
      await createMessage(withApp(), project.id, { content: letter.repeat(600) });
    }
    const text = `Budget [tokens:1] ${randomUUID()}`;
    await readAll(await postChat(withApp(), project.id, text));
    const request = fake?.requests.findLast((received) => received.userText === text);
    expect(request?.messages.slice(1)).toEqual([
      { role: "user", content: "c".repeat(600) },
      { role: "user", content: text },
    ]);
  });
});
