import { describe, expect, test } from "vitest";
import { readChatChunks } from "../src/lib/ui-message-stream.ts";

/** A response body that arrives in the given pieces, cut anywhere. */
function bodyOf(pieces: string[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece) as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
}

async function collect(pieces: string[]) {
  const chunks = [];
  for await (const chunk of readChatChunks(bodyOf(pieces))) chunks.push(chunk);
  return chunks;
}

describe("readChatChunks", () => {
  test("reads each data line as a chunk and stops at [DONE]", async () => {
    const stream = [
      'data: {"type":"start","messageId":"m1"}\n\n',
      'data: {"type":"text-start","id":"t"}\n\n',
      'data: {"type":"text-delta","id":"t","delta":"Hel"}\n\n',
      'data: {"type":"text-delta","id":"t","delta":"lo"}\n\n',
      'data: {"type":"text-end","id":"t"}\n\n',
      'data: {"type":"finish"}\n\n',
      "data: [DONE]\n\n",
      'data: {"type":"text-delta","id":"t","delta":"after done"}\n\n',
    ];
    const chunks = await collect(stream);
    expect(chunks.map((c) => c.type)).toEqual([
      "start",
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "finish",
    ]);
    const text = chunks.flatMap((c) => (c.type === "text-delta" ? [c.delta] : [])).join("");
    expect(text).toBe("Hello");
  });

  test("a chunk split across network reads, and multi-byte text split mid-character, arrive whole", async () => {
    const line = 'data: {"type":"text-delta","id":"t","delta":"héllo wörld ✓"}\n\n';
    const bytes = new TextEncoder().encode(line);
    // Cut inside the first two-byte character, and again a few bytes on.
    const cut = bytes.indexOf(0xc3) + 1;
    const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start(controller) {
        controller.enqueue(bytes.slice(0, cut) as Uint8Array<ArrayBuffer>);
        controller.enqueue(bytes.slice(cut, cut + 7) as Uint8Array<ArrayBuffer>);
        controller.enqueue(bytes.slice(cut + 7) as Uint8Array<ArrayBuffer>);
        controller.close();
      },
    });
    const chunks = [];
    for await (const chunk of readChatChunks(stream)) chunks.push(chunk);
    expect(chunks).toEqual([{ type: "text-delta", id: "t", delta: "héllo wörld ✓" }]);
  });

  test("keep-alive comments and a stream that ends without [DONE] are fine", async () => {
    const chunks = await collect([": keep-alive\n\n", 'data: {"type":"start"}\n\n']);
    expect(chunks).toEqual([{ type: "start" }]);
  });
});
