/**
 * The benchmarks' model: an OpenAI-compatible server whose reply is set by the user's
 * last message. `[tokens:N]` answers N tokens `tok1 tok2 …` (unique, so a page can tell
 * which ones it shows); without it the reply is one token, `ok`. Each token takes
 * `[delay:MS]`, else TOKEN_DELAY_MS (default 5: 200 tokens a second).
 */
import { createServer } from "node:http";

const port = Number(process.env.PORT ?? 4101);
const defaultDelay = Number(process.env.TOKEN_DELAY_MS ?? 5);

interface ChatBody {
  model?: string;
  messages?: Array<{ role: string; content: unknown }>;
}

function lastUserText(body: ChatBody): string {
  const last = body.messages?.findLast((message) => message.role === "user");
  if (typeof last?.content === "string") return last.content;
  if (Array.isArray(last?.content))
    return last.content.map((part: { text?: string }) => part.text ?? "").join("");
  return "";
}

function scriptFor(text: string): { tokens: string[]; delayMs: number } {
  const count = Number(/\[tokens:(\d+)\]/.exec(text)?.[1] ?? 0);
  const delayMs = Number(/\[delay:(\d+)\]/.exec(text)?.[1] ?? defaultDelay);
  const tokens = count > 0 ? Array.from({ length: count }, (_, i) => `tok${i + 1} `) : ["ok"];
  return { tokens, delayMs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    return;
  }
  let raw = "";
  for await (const piece of req) raw += piece;
  const body = JSON.parse(raw) as ChatBody;
  const { tokens, delayMs } = scriptFor(lastUserText(body));
  const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
    `data: ${JSON.stringify({
      id: "chatcmpl-bench",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? "bench",
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    })}\n\n`;

  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(chunk({ role: "assistant", content: "" }));
  // Paced against the clock, not per sleep, so timer slack does not slow the stream down.
  const start = performance.now();
  for (const [i, token] of tokens.entries()) {
    if (closed) return;
    const wait = start + (i + 1) * delayMs - performance.now();
    if (wait > 0) await sleep(wait);
    res.write(chunk({ content: token }));
  }
  const usage = { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: 10 + tokens.length };
  res.write(chunk({}, "stop", { usage }));
  res.end("data: [DONE]\n\n");
});

server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
