import type { FEED_READY_EVENT, FEED_RESET_EVENT, FeedEvent } from "@tandem/shared";

// The change feed's Server-Sent Events, as the bytes sent. A change's frame is encoded
// once and shared by every connection that gets it.

const encoder = new TextEncoder();

/** One change as an SSE message: the position as its `id`, the event as its data. */
export const changeFrame = (position: bigint, event: FeedEvent): Uint8Array =>
  encoder.encode(`id: ${position}\ndata: ${JSON.stringify(event)}\n\n`);

/**
 * `ready` and `reset` carry the position the stream goes on after, as `data` and as the
 * SSE `id`, so a browser's EventSource that reconnects before any change resumes there.
 */
export const positionFrame = (event: typeof FEED_READY_EVENT | typeof FEED_RESET_EVENT, position: bigint) =>
  encoder.encode(
    `event: ${event}\nid: ${position}\ndata: ${JSON.stringify({ position: String(position) })}\n\n`,
  );

export const KEEP_ALIVE_FRAME = encoder.encode(": keep-alive\n\n");

/** How soon a client whose feed the server ended should connect again (SSE `retry`, in ms). */
export const RECONNECT_AFTER_MS = 1000;

/**
 * The last frame of a feed the server ends (it shuts down, say): reconnect after
 * RECONNECT_AFTER_MS, from the last id, to whichever instance answers.
 */
export const RETRY_FRAME = encoder.encode(`retry: ${RECONNECT_AFTER_MS}\n\n`);

/** Frames queued in one tick, as one chunk: one write to the connection. */
export function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1 && frames[0]) return frames[0];
  let size = 0;
  for (const frame of frames) size += frame.byteLength;
  const chunk = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    chunk.set(frame, at);
    at += frame.byteLength;
  }
  return chunk;
}
