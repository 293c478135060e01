import type { ChangeEvent, FEED_READY_EVENT, FEED_RESET_EVENT } from "@tandem/shared";

// The change feed's Server-Sent Events, as the text sent. Each is built once and shared
// by every connection that gets it.

/** One change as an SSE message: the position as its `id`, the event as its data. */
export const changeFrame = (position: bigint, event: ChangeEvent) =>
  `id: ${position}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * `ready` and `reset` carry the position the stream goes on after, as `data` and as the
 * SSE `id`, so a browser's EventSource that reconnects before any change resumes there.
 */
export const positionFrame = (event: typeof FEED_READY_EVENT | typeof FEED_RESET_EVENT, position: bigint) =>
  `event: ${event}\nid: ${position}\ndata: ${JSON.stringify({ position: String(position) })}\n\n`;

export const KEEP_ALIVE_FRAME = ": keep-alive\n\n";
