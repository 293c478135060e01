/**
 * A scripted OpenAI-compatible model for the e2e suite: the Tandem server under test
 * talks to it through AI_BASE_URL like to any real one. What it answers depends on the
 * user's last message:
 * - contains "[long]": a 200-token reply (time to stop it or reload in the middle);
 * - contains "[fail]": the first time, a few tokens and then the connection breaks
 *   mid-stream; asked again (a retry), it answers normally;
 * - otherwise: a short markdown reply that quotes the message.
 * Each token takes TOKEN_DELAY_MS (default 40).
 */
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 3199);
const tokenDelay = Number(process.env.TOKEN_DELAY_MS ?? 40);

interface ChatBody {
  model?: string;
  messages?: Array<{ role: string; content: unknown }>;
}

function lastUserText(body: ChatBody): string {
  const last = [...(body.messages ?? [])].reverse().find((message) => message.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  if (Array.isArray(last.content)) {
    return last.content.map((part: { text?: string }) => part.text ?? "").join("");
  }
  return "";
}

const failedOnce = new Set<string>();

function scriptFor(userText: string): { tokens: string[]; failAfter?: number } {
  if (userText.includes("[long]")) {
    return { tokens: Array.from({ length: 200 }, (_, i) => `word${i + 1} `) };
  }
  const reply = `**Scripted reply.** You said: ${userText.replace(/\s+/g, " ").trim()}\n\n- one\n- two\n- three\n`;
  const tokens = reply.match(/\S+\s*|\s+/g) ?? [reply];
  if (userText.includes("[fail]") && !failedOnce.has(userText)) {
    failedOnce.add(userText);
    return { tokens, failAfter: 4 };
  }
  return { tokens };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    return;
  }
  if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":{"message":"not found"}}');
    return;
  }
  let raw = "";
  for await (const piece of req) raw += piece;
  const body = JSON.parse(raw) as ChatBody;
  const { tokens, failAfter } = scriptFor(lastUserText(body));

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    `data: ${JSON.stringify({
      id: "chatcmpl-scripted",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? "scripted",
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    })}\n\n`;

  let closed = false;
  req.on("close", () => {
    closed = true;
  });
  res.write(chunk({ role: "assistant", content: "" }));
  for (const [i, token] of tokens.entries()) {
    if (closed) return;
    if (failAfter !== undefined && i === failAfter) {
      res.destroy(new Error("scripted failure"));
      return;
    }
    await sleep(tokenDelay);
    res.write(chunk({ content: token }));
  }
  res.write(
    chunk({}, "stop", {
      usage: { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: 10 + tokens.length },
    }),
  );
  res.end("data: [DONE]\n\n");
});

server.listen(port, "127.0.0.1", () => console.log(`scripted model on http://127.0.0.1:${port}/v1`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
