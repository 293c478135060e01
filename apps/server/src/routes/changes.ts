import { FEED_READY_EVENT, FEED_RESET_EVENT } from "@tandem/shared";
import { Hono } from "hono";
import { z } from "zod";
import { joinFrames, KEEP_ALIVE_FRAME, positionFrame, RETRY_FRAME } from "../feed/frames.ts";
import type { FeedHub } from "../feed/hub.ts";
import { ApiError } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { issueDetails, queryParams } from "../http/validate.ts";

const POSITION_MAX = 9_223_372_036_854_775_807n;

const positionSchema = z
  .string()
  .regex(/^\d{1,19}$/, { error: "must be a feed position (a whole number)" })
  .transform((text) => BigInt(text))
  .refine((position) => position <= POSITION_MAX, { error: "is beyond any feed position" });

/** Unknown query parameters are ignored: EventSource URLs sometimes carry a cache-buster. */
const changesQuerySchema = z.object({ since: positionSchema.optional() });

/** A client that reads this much slower than changes come is cut off; it resumes from its last id. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * `GET /api/changes`: the change feed as Server-Sent Events. `ready` first, then every
 * change after the asked position (`Last-Event-ID`, else `?since`, else the head), each
 * with its position as the SSE `id`; `reset` when the log no longer reaches back there.
 */
export const changeRoutes = (feed: FeedHub, maxConnectionsPerUser: number) =>
  new Hono<AppEnv>().get("/", queryParams(changesQuerySchema), async (c) => {
    const since = lastEventId(c.req.header("last-event-id")) ?? c.req.valid("query").since;
    // A HEAD answer has no body to read or cancel: it must not hold a subscription.
    if (c.req.method === "HEAD") return c.body(null, 200, SSE_HEADERS);
    const { user, sessionId } = await c.var.access.caller();
    const userId = user.id;
    const start = await feed.resolve(since);
    const reader = await feed.readerFor(userId, sessionId);
    // Checked and taken with nothing awaited in between (the stream subscribes in its
    // constructor), so concurrent connects cannot both take the last place.
    if (feed.connectionsOf(userId) >= maxConnectionsPerUser) {
      throw new ApiError(
        "feed_limit",
        `You have ${maxConnectionsPerUser} change-feed connections open already: close a tab or window`,
        { retryAfterSeconds: 5 },
      );
    }
    let cleanup = () => {};

    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          let open = true;
          const end = () => {
            cleanup();
            controller.close();
          };
          // The frames of one tick (a batch the hub read, say) go out as one chunk: one write.
          let queued: Uint8Array[] = [];
          const flush = () => {
            const frames = queued;
            queued = [];
            if (!open || frames.length === 0) return;
            controller.enqueue(joinFrames(frames));
            if ((controller.desiredSize ?? 0) < -MAX_QUEUED_BYTES) end();
          };
          const close = () => {
            write(RETRY_FRAME);
            flush();
            if (open) end();
          };
          const write = (frame: Uint8Array) => {
            if (!open) return;
            if (queued.push(frame) === 1) queueMicrotask(flush);
          };
          write(positionFrame(FEED_READY_EVENT, start.position));
          if (start.reset) write(positionFrame(FEED_RESET_EVENT, start.position));
          const subscription = feed.subscribe(
            start.position,
            {
              change: (change) => write(change.frame),
              reset: (position) => write(positionFrame(FEED_RESET_EVENT, position)),
              end: close,
            },
            reader,
          );
          const keepAlive = setInterval(() => write(KEEP_ALIVE_FRAME), feed.settings.keepAliveMs);
          cleanup = () => {
            open = false;
            clearInterval(keepAlive);
            subscription.close();
          };
        },
        cancel() {
          cleanup();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );

    return c.body(body, 200, SSE_HEADERS);
  });

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  // nginx and the like would otherwise hold events back in their buffers.
  "x-accel-buffering": "no",
};

/** The `Last-Event-ID` header (sent by a reconnecting EventSource) as a position; 400 when it is not one. */
function lastEventId(header: string | undefined): bigint | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const parsed = positionSchema.safeParse(header.trim());
  if (parsed.success) return parsed.data;
  throw new ApiError("invalid_input", "The request headers are not valid", {
    details: issueDetails(parsed.error).map((detail) => ({ ...detail, path: "Last-Event-ID" })),
  });
}
