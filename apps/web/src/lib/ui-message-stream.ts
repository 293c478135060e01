import type { Message } from "@tandem/shared";
import { MESSAGE_DATA_CHUNK } from "@tandem/shared";
import type { UIMessageChunk } from "ai";
import { EventSourceParserStream } from "eventsource-parser/stream";

/** A chunk of the AI SDK UI message stream, or Tandem's stored-row chunk. */
export type ChatChunk = UIMessageChunk | { type: typeof MESSAGE_DATA_CHUNK; id: string; data: Message };

/**
 * Reads an AI SDK UI message stream (Server-Sent Events, `data: {json}` lines ending
 * with `data: [DONE]`) as its chunks.
 */
export async function* readChatChunks(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
): AsyncGenerator<ChatChunk> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.data === "[DONE]") return;
      yield JSON.parse(value.data) as ChatChunk;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}

export function isMessageChunk(chunk: ChatChunk): chunk is Extract<ChatChunk, { type: "data-message" }> {
  return chunk.type === MESSAGE_DATA_CHUNK;
}
