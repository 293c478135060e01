import { setTimeout as sleep } from "node:timers/promises";
import {
  type ChatModel,
  type ChatModelCallOptions,
  type ChatModelGenerateResult,
  type ChatModelStreamPart,
  type ChatModelStreamResult,
  type ChatModelUsage,
  TANDEM_SYSTEM_PROMPT,
} from "./chat-model.ts";
import { offlineReply, tokenize } from "./offline-reply.ts";

/**
 * The assistant that answers when no model is configured: it streams `offlineReply` of
 * the last user message (and the project's instructions), one token every `tokenDelayMs`,
 * and stops when the call is aborted.
 */
export class OfflineModel implements ChatModel {
  readonly specificationVersion = "v3";
  readonly provider = "tandem";
  readonly modelId = "tandem-offline";
  readonly supportedUrls = {};
  readonly #tokenDelayMs: number;

  constructor({ tokenDelayMs }: { tokenDelayMs: number }) {
    this.#tokenDelayMs = tokenDelayMs;
  }

  async doGenerate(options: ChatModelCallOptions): Promise<ChatModelGenerateResult> {
    const text = replyTo(options);
    return {
      content: [{ type: "text", text }],
      finishReason: { unified: "stop", raw: "stop" },
      usage: usage(options, tokenize(text).length),
      warnings: [],
    };
  }

  async doStream(options: ChatModelCallOptions): Promise<ChatModelStreamResult> {
    const tokens = tokenize(replyTo(options));
    const delayMs = this.#tokenDelayMs;
    const signal = options.abortSignal;
    let next = 0;
    const stream = new ReadableStream<ChatModelStreamPart>({
      start(controller) {
        controller.enqueue({ type: "stream-start", warnings: [] });
        controller.enqueue({ type: "text-start", id: "0" });
      },
      async pull(controller) {
        const token = tokens[next++];
        if (token === undefined) {
          controller.enqueue({ type: "text-end", id: "0" });
          controller.enqueue({
            type: "finish",
            finishReason: { unified: "stop", raw: "stop" },
            usage: usage(options, tokens.length),
          });
          controller.close();
          return;
        }
        // Rejects with an AbortError when the call is aborted, which ends the stream.
        if (delayMs > 0) await sleep(delayMs, undefined, { signal });
        else signal?.throwIfAborted();
        controller.enqueue({ type: "text-delta", id: "0", delta: token });
      },
    });
    return { stream };
  }
}

function replyTo(options: ChatModelCallOptions): string {
  return offlineReply(lastUserText(options), projectInstructions(options));
}

/** The system messages but Tandem's own: the project's instructions. */
function projectInstructions(options: ChatModelCallOptions): string {
  return options.prompt
    .flatMap((message) =>
      message.role === "system" && message.content !== TANDEM_SYSTEM_PROMPT ? [message.content] : [],
    )
    .join("\n\n");
}

function lastUserText(options: ChatModelCallOptions): string {
  const message = options.prompt.findLast((m) => m.role === "user");
  if (message?.role !== "user") return "";
  return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

/** Usage in words, the offline assistant's tokens. */
function usage(options: ChatModelCallOptions, outputTokens: number): ChatModelUsage {
  let inputTokens = 0;
  for (const message of options.prompt) {
    if (typeof message.content === "string") inputTokens += tokenize(message.content).length;
    else {
      for (const part of message.content) if (part.type === "text") inputTokens += tokenize(part.text).length;
    }
  }
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: undefined },
  };
}
