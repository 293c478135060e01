import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { chatModel } from "../src/assistant/model.ts";
import { backends, useTestServer } from "./backends.ts";
import { postChat, processesOf, storedMessage } from "./chat.ts";
import { createMessage, createProject } from "./http.ts";
import { deltaText, readAll, shape } from "./sse.ts";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: { model: string; stream: boolean; messages: Array<{ role: string; content: string }> };
}

/**
 * A tiny OpenAI-compatible server: POST /v1/chat/completions answers an SSE stream of
 * chat.completion.chunk events. "[401]" in the last user message gets a 401, "[drop]"
 * a stream whose connection breaks after two tokens.
 */
function fakeOpenAI() {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const piece of req) raw += piece;
    const body = JSON.parse(raw) as Received["body"];
    received.push({ path: req.url ?? "", headers: req.headers, body });
    const last = body.messages.findLast((message) => message.role === "user")?.content ?? "";

    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404).end();
      return;
    }
    if (last.includes("[401]")) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ error: { message: "Incorrect API key provided", type: "invalid_request_error" } }),
      );
      return;
    }
    const chunk = (choice: object, extra: object = {}) =>
      `data: ${JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: body.model,
        choices: [{ index: 0, ...choice }],
        ...extra,
      })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(chunk({ delta: { role: "assistant", content: "" }, finish_reason: null }));
    const tokens = ["Hello", " from", " the", " fake", " model."];
    for (const [i, token] of tokens.entries()) {
      if (last.includes("[drop]") && i === 2) {
        res.destroy();
        return;
      }
      res.write(chunk({ delta: { content: token }, finish_reason: null }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.write(chunk({ delta: {}, finish_reason: "stop" }));
    res.write(
      `data: ${JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: body.model,
        choices: [],
        usage: { prompt_tokens: 21, completion_tokens: 5, total_tokens: 26 },
      })}\n\n`,
    );
    res.end("data: [DONE]\n\n");
  });
  return { server, received };
}

describe.each(backends)("an OpenAI-compatible model through AI_BASE_URL on %s", (kind) => {
  const fake = fakeOpenAI();
  let listening: Server | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  let assistant: Assistant | undefined;
  const server = useTestServer(kind);

  beforeAll(async () => {
    listening = fake.server.listen(0, "127.0.0.1");
    await once(listening, "listening");
    const { port } = listening.address() as AddressInfo;
    const model = chatModel({
      AI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      AI_MODEL: "fake-model",
      AI_API_KEY: "sk-test",
      ASSISTANT_TOKEN_DELAY_MS: 0,
    });
    assistant = new Assistant(server.handle, { model, flushMs: 20, heartbeatMs: 50, feed: server.feed });
    app = createApp({ db: server.handle, feed: server.feed, assistant });
  });

  afterAll(async () => {
    await assistant?.shutdown();
    listening?.close();
  });

  const withApp = () => ({ app: app ?? fail() });

  test("streams the model's reply and stores it, with the history and key sent to the model", async () => {
    const project = await createProject(withApp());
    await createMessage(withApp(), project.id, { content: "Earlier question" });
    const chunks = await readAll(await postChat(withApp(), project.id, "Say hello"));

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
    expect(deltaText(chunks)).toBe("Hello from the fake model.");
    const replyId = (chunks[0] as { messageId: string }).messageId;
    expect(await storedMessage(server, replyId)).toMatchObject({
      status: "complete",
      content: "Hello from the fake model.",
    });
    expect(await processesOf(server, replyId)).toMatchObject([
      {
        status: "completed",
        model: "fake-model",
        usage: { inputTokens: 21, outputTokens: 5, totalTokens: 26 },
      },
    ]);

    const request = fake.received.at(-1);
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe("Bearer sk-test");
    expect(request?.body).toMatchObject({ model: "fake-model", stream: true });
    expect(request?.body.messages.slice(1)).toEqual([
      { role: "user", content: "Earlier question" },
      { role: "user", content: "Say hello" },
    ]);
    expect(request?.body.messages[0]?.role).toBe("system");
  });

  test("a refused request (401) ends the reply error, with the server's message", async () => {
    const project = await createProject(withApp());
    const chunks = await readAll(await postChat(withApp(), project.id, "[401] hello"));
    const replyId = (chunks[0] as { messageId: string }).messageId;
    const stored = await storedMessage(server, replyId);
    expect(stored).toMatchObject({ status: "error", content: "" });
    expect(stored?.error).toContain("Incorrect API key provided");
    expect(chunks.find((chunk) => chunk.type === "error")).toMatchObject({ errorText: stored?.error });
  });

  test("a connection that breaks mid-stream ends the reply error, with the text so far", async () => {
    const project = await createProject(withApp());
    const chunks = await readAll(await postChat(withApp(), project.id, `[drop] ${randomUUID()}`));
    const replyId = (chunks[0] as { messageId: string }).messageId;
    const stored = await storedMessage(server, replyId);
    expect(stored).toMatchObject({ status: "error", content: "Hello from" });
    // The AI SDK's error and what lies under it (the connection was cut).
    expect(stored?.error).toMatch(/^Failed to process successful response: terminated/);
    expect(deltaText(chunks)).toBe("Hello from");
  });
});

function fail(): never {
  throw new Error("The app is not up");
}
