import { readUIMessageStream, type UIMessage, type UIMessageChunk } from "ai";
import { expect } from "vitest";

/**
 * Reads an AI SDK UI message stream response (SSE) chunk by chunk, and checks that it
 * ends with `data: [DONE]`.
 */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #done = false;
  /** Every chunk read so far. */
  readonly chunks: UIMessageChunk[] = [];

  constructor(response: Response) {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-vercel-ai-ui-message-stream")).toBe("v1");
    if (!response.body) throw new Error("The response has no body");
    this.#reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next chunk; undefined after `data: [DONE]`. Fails if the body ends without it. */
  async next(): Promise<UIMessageChunk | undefined> {
    if (this.#done) return undefined;
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const event = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        expect(event.startsWith("data: ")).toBe(true);
        const data = event.slice("data: ".length);
        if (data === "[DONE]") {
          this.#done = true;
          const rest = await this.#reader.read();
          expect(rest.done && this.#buffer === "").toBe(true);
          return undefined;
        }
        const chunk = JSON.parse(data) as UIMessageChunk;
        this.chunks.push(chunk);
        return chunk;
      }
      const { done, value } = await this.#reader.read();
      if (done)
        throw new Error(`The stream ended without data: [DONE] (left: ${JSON.stringify(this.#buffer)})`);
      this.#buffer += value;
    }
  }

  /** Reads up to and including the first chunk that matches. */
  async until(matches: (chunk: UIMessageChunk) => boolean): Promise<UIMessageChunk> {
    for (;;) {
      const chunk = await this.next();
      if (!chunk) throw new Error("The stream ended before the expected chunk");
      if (matches(chunk)) return chunk;
    }
  }

  /** Reads to the end; answers every chunk of the stream. */
  async rest(): Promise<UIMessageChunk[]> {
    while (await this.next());
    return this.chunks;
  }

  /** The client goes away. */
  async cancel() {
    await this.#reader.cancel();
  }
}

/** Every chunk of a response, to `data: [DONE]`. */
export const readAll = (response: Response) => new SseReader(response).rest();

/** The chunks as the type sequence, with deltas folded into one entry each run, for exact comparison. */
export function shape(chunks: UIMessageChunk[]): string[] {
  const types: string[] = [];
  for (const chunk of chunks) {
    const name =
      chunk.type === "data-message"
        ? `data-message:${(chunk.data as { role: string; status: string }).role}:${(chunk.data as { status: string }).status}`
        : chunk.type;
    if (name === "text-delta" && types.at(-1) === "text-delta*") continue;
    types.push(name === "text-delta" ? "text-delta*" : name);
  }
  return types;
}

/** The shape of a reply's stream alone, complete: a follower's, a retry's or a regenerate's (no user message). */
export const REPLY_SHAPE = [
  "start",
  "data-message:assistant:streaming",
  "text-start",
  "text-delta*",
  "text-end",
  "data-message:assistant:complete",
  "finish",
];

/** The text of all the deltas. */
export const deltaText = (chunks: UIMessageChunk[]) =>
  chunks.map((chunk) => (chunk.type === "text-delta" ? chunk.delta : "")).join("");

/** What the AI SDK's own client reader makes of the stream: the last message state. */
export async function readAsUIMessage(
  response: Response,
  { terminateOnError = true } = {},
): Promise<UIMessage> {
  const reader = new SseReader(response);
  const stream = new ReadableStream<UIMessageChunk>({
    async pull(controller) {
      const chunk = await reader.next();
      if (chunk) controller.enqueue(chunk);
      else controller.close();
    },
  });
  let last: UIMessage | undefined;
  for await (const message of readUIMessageStream({ stream, terminateOnError })) last = message;
  if (!last) throw new Error("readUIMessageStream produced no message");
  return last;
}

export const textOf = (message: UIMessage) =>
  message.parts.map((part) => (part.type === "text" ? part.text : "")).join("");
