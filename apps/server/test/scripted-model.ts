import { MockLanguageModelV3, simulateReadableStream } from "ai/test";
import type { ChatModelCallOptions, ChatModelStreamPart } from "../src/assistant/model.ts";

/**
 * A scripted model for the API tests, steered by the last user message, so one app can
 * run every script:
 *   "tokens=N"   reply with N tokens "t1 t2 … tN " (default 5)
 *   "delay=MS"   wait MS before each token (default 1)
 *   "fail=K"     after K tokens, an error part "The model broke after K tokens"
 *   "crash=K"    after K tokens, the stream itself errors
 *   "hang=K"     after K tokens, wait until the call is aborted
 *   "pause=K"    after K tokens, wait until the test calls `release(text)`, then go on
 *   "once"       the fail/crash/hang happens on the first call for this message only
 * Put something unique in each message (a test name) so scripts do not share state.
 */
export class ScriptedModel extends MockLanguageModelV3 {
  readonly #calls = new Map<string, number>();
  readonly #gates = new Map<string, () => void>();

  constructor() {
    super({
      provider: "test",
      modelId: "scripted",
      doStream: async (options) => {
        const prompt = lastUserText(options);
        const call = (this.#calls.get(prompt) ?? 0) + 1;
        this.#calls.set(prompt, call);
        const script = parseScript(prompt);
        if (script.once && call > 1) script.mode = "complete";
        const gate = new Promise<void>((resolve) => this.#gates.set(prompt, resolve));
        return { stream: scriptStream(script, options.abortSignal, gate) };
      },
    });
  }

  /** Lets a paused script (the one whose last user message is `text`) go on. */
  release(text: string) {
    const open = this.#gates.get(text);
    if (!open) throw new Error(`No call is waiting for "${text}"`);
    open();
  }

  /** How often the model was asked to answer `text`. */
  callsFor(text: string): number {
    return this.#calls.get(text) ?? 0;
  }

  /** The prompt of the latest call answering `text`, as [role, text] pairs. */
  promptFor(text: string): Array<[string, string]> {
    const call = this.doStreamCalls.findLast((options) => lastUserText(options) === text);
    if (!call) throw new Error(`The model was never asked about "${text}"`);
    return call.prompt.map((message) => [
      message.role,
      typeof message.content === "string"
        ? message.content
        : message.content.map((part) => ("text" in part ? part.text : "")).join(""),
    ]);
  }
}

export const scriptedModel = () => new ScriptedModel();

interface Script {
  tokens: number;
  delay: number;
  mode: "complete" | "fail" | "crash" | "hang" | "pause";
  after: number;
  once: boolean;
}

function parseScript(text: string): Script {
  const number = (name: string) => {
    const match = new RegExp(`\\b${name}=(\\d+)`).exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const tokens = number("tokens") ?? 5;
  const script: Script = {
    tokens,
    delay: number("delay") ?? 1,
    mode: "complete",
    after: tokens,
    once: /\bonce\b/.test(text),
  };
  for (const mode of ["fail", "crash", "hang", "pause"] as const) {
    const after = number(mode);
    if (after !== undefined) Object.assign(script, { mode, after });
  }
  return script;
}

/** The text a script streams in full: what a complete reply stores. */
export function scriptedText(tokens: number, from = 1): string {
  return Array.from({ length: tokens }, (_, i) => `t${from + i} `).join("");
}

const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
};

function scriptStream(
  script: Script,
  signal: AbortSignal | undefined,
  gate: Promise<void>,
): ReadableStream<ChatModelStreamPart> {
  const head: ChatModelStreamPart[] = [
    { type: "stream-start", warnings: [] },
    { type: "text-start", id: "1" },
  ];
  const count = script.mode === "complete" || script.mode === "pause" ? script.tokens : script.after;
  const deltas: ChatModelStreamPart[] = Array.from({ length: count }, (_, i) => ({
    type: "text-delta",
    id: "1",
    delta: `t${i + 1} `,
  }));
  const tail: ChatModelStreamPart[] =
    script.mode === "fail"
      ? [{ type: "error", error: new Error(`The model broke after ${script.after} tokens`) }]
      : script.mode === "complete" || script.mode === "pause"
        ? [
            { type: "text-end", id: "1" },
            { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage },
          ]
        : [];
  const chunks = [...head, ...deltas, ...tail];
  const scripted = simulateReadableStream({ chunks, chunkDelayInMs: script.delay });
  if (script.mode === "complete" || script.mode === "fail") return scripted;

  // Then pause, crash, or hang until aborted, like a stalled connection.
  const reader = scripted.getReader();
  const aborted = new Promise<void>((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  let sent = 0;
  return new ReadableStream<ChatModelStreamPart>({
    async pull(controller) {
      if (script.mode === "pause" && sent === head.length + script.after) {
        await Promise.race([gate, aborted]);
        if (signal?.aborted) {
          controller.error(signal.reason);
          return;
        }
      }
      sent++;
      const { done, value } = await reader.read();
      if (!done) {
        controller.enqueue(value);
        return;
      }
      if (script.mode === "pause") {
        controller.close();
        return;
      }
      if (script.mode === "crash") {
        controller.error(new Error(`The connection dropped after ${script.after} tokens`));
        return;
      }
      await aborted;
      controller.error(signal?.reason ?? new Error("aborted"));
    },
  });
}

function lastUserText(options: ChatModelCallOptions): string {
  const message = options.prompt.findLast((m) => m.role === "user");
  if (message?.role !== "user") return "";
  return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}
