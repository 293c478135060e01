import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { failMessage, parseScript, type Script } from "./script.ts";

/** One message of a chat request, its content flattened to text. */
export interface ReceivedMessage {
  role: string;
  content: string;
}

/** What the model was asked: one POST /v1/chat/completions. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  model: string;
  stream: boolean;
  messages: ReceivedMessage[];
  /** The token cap the client asked for (`max_tokens`), if any. */
  maxTokens: number | undefined;
  /** The last user message: the script this request ran. */
  userText: string;
}

export interface ScriptedModelOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Milliseconds before each token when the script sets no `[delay:MS]` (default 1). */
  tokenDelayMs?: number;
}

/**
 * An OpenAI-compatible server (POST /v1/chat/completions, streamed) that answers by the
 * script in the last user message (see script.ts). It remembers what it was asked:
 * `requests` in process, GET /requests from outside (`?text=` filters by the script).
 */
export interface ScriptedModel {
  /** The base URL to give as AI_BASE_URL, ending in /v1. */
  readonly url: string;
  readonly port: number;
  /** Every chat request so far, oldest first. */
  readonly requests: readonly ReceivedRequest[];
  /** Lets a `[pause:K]` script whose last user message is `text` go on. */
  release(text: string): void;
  /** How often the model was asked to answer `text`. */
  callsFor(text: string): number;
  /** The messages of the latest request answering `text`, as [role, content] pairs (the system message first). */
  promptFor(text: string): Array<[string, string]>;
  close(): Promise<void>;
}

export async function startScriptedModel(options: ScriptedModelOptions = {}): Promise<ScriptedModel> {
  const defaultDelay = options.tokenDelayMs ?? 1;
  const requests: ReceivedRequest[] = [];
  const calls = new Map<string, number>();
  const gates = new Map<string, () => void>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://model");
    if (req.method === "GET" && url.pathname === "/health") return json(res, 200, { ok: true });
    if (req.method === "GET" && url.pathname === "/requests") {
      const text = url.searchParams.get("text");
      return json(res, 200, text === null ? requests : requests.filter((r) => r.userText === text));
    }
    if (req.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
      return json(res, 404, { error: { message: "not found", type: "invalid_request_error" } });
    }
    let raw = "";
    for await (const piece of req) raw += piece;
    const request = received(url.pathname, req.headers, JSON.parse(raw));
    requests.push(request);
    const call = (calls.get(request.userText) ?? 0) + 1;
    calls.set(request.userText, call);
    const script = parseScript(request.userText);
    if (script.status !== undefined && script.status >= 400) {
      const message = `Scripted refusal (${script.status})`;
      return json(res, script.status, { error: { message, type: "invalid_request_error" } });
    }
    if (script.once && call > 1) Object.assign(script, { ending: "complete", after: script.tokens.length });
    const gate = new Promise<void>((resolve) => gates.set(request.userText, resolve));
    await stream(res, request, script, script.delayMs ?? defaultDelay, gate);
  });

  server.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  await once(server, "listening");
  const { port, address } = server.address() as AddressInfo;

  return {
    url: `http://${address}:${port}/v1`,
    port,
    requests,
    release(text) {
      const open = gates.get(text);
      if (!open) throw new Error(`No call is waiting for "${text}"`);
      open();
    },
    callsFor: (text) => calls.get(text) ?? 0,
    promptFor(text) {
      const request = requests.findLast((r) => r.userText === text);
      if (!request) throw new Error(`The model was never asked about "${text}"`);
      return request.messages.map((message) => [message.role, message.content]);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: Array<{ role: string; content: unknown }>;
  max_tokens?: number;
  max_completion_tokens?: number;
}

function received(path: string, headers: IncomingHttpHeaders, body: ChatBody): ReceivedRequest {
  const messages = (body.messages ?? []).map((message) => ({
    role: message.role,
    content: textOf(message.content),
  }));
  return {
    path,
    headers,
    model: body.model ?? "scripted",
    stream: body.stream ?? false,
    messages,
    maxTokens: body.max_tokens ?? body.max_completion_tokens,
    userText: messages.findLast((message) => message.role === "user")?.content ?? "",
  };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part: { text?: string }) => part.text ?? "").join("");
  return "";
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function stream(
  res: ServerResponse,
  request: ReceivedRequest,
  script: Script,
  delayMs: number,
  gate: Promise<void>,
) {
  let closed = false;
  const gone = new Promise<void>((resolve) =>
    res.on("close", () => {
      closed = true;
      resolve();
    }),
  );
  const chunk = (body: object) =>
    `data: ${JSON.stringify({
      id: "chatcmpl-scripted",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      ...body,
    })}\n\n`;
  const delta = (content: object, finish: string | null = null) =>
    chunk({ choices: [{ index: 0, delta: content, finish_reason: finish }] });
  // Written and flushed: a connection dropped right after still delivers what came before.
  const write = (text: string) => new Promise<void>((resolve) => res.write(text, () => resolve()));

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(delta({ role: "assistant", content: "" }));
  const count =
    script.ending === "complete" || script.ending === "pause" ? script.tokens.length : script.after;
  // Paced against the clock, not per sleep, so timer slack does not slow a long stream down.
  let start = performance.now();
  for (const [i, token] of script.tokens.slice(0, count).entries()) {
    if (script.ending === "pause" && i === script.after) {
      await Promise.race([gate, gone]);
      start = performance.now() - i * delayMs;
    }
    if (closed) return;
    const wait = start + (i + 1) * delayMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (closed) return;
    await write(delta({ content: token }));
  }
  if (script.ending === "pause" && script.after >= count) await Promise.race([gate, gone]);
  if (closed) return;

  switch (script.ending) {
    case "fail":
      res.end(
        `${chunk({ error: { message: failMessage(script.after), type: "server_error" } })}data: [DONE]\n\n`,
      );
      return;
    case "crash":
      res.destroy();
      return;
    case "hang":
      await gone;
      return;
    default:
      res.write(delta({}, "stop"));
      res.write(
        chunk({
          choices: [],
          usage: { prompt_tokens: 10, completion_tokens: count, total_tokens: 10 + count },
        }),
      );
      res.end("data: [DONE]\n\n");
  }
}
