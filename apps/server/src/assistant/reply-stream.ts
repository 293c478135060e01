import type { MessageRow } from "@tandem/db/schema";
import { MESSAGE_DATA_CHUNK, type MessageDataChunk } from "@tandem/shared";
import type { FinishReason, UIMessageChunk } from "ai";
import { toMessage } from "../rows.ts";
import type { EndStatus } from "./generation-sql.ts";

/** How a reply ended, as its followers are told. */
export interface ReplyEnd {
  status: EndStatus;
  error: string | null;
  /** The final row as stored; undefined when the message was deleted meanwhile. */
  row: MessageRow | undefined;
  finishReason?: FinishReason | undefined;
}

/** Where a follower gets a reply's growth from: a local generation, or the database. */
export interface ReplySink {
  delta(text: string): void;
  end(end: ReplyEnd): void;
}

/** The reply as it is when a follower attaches; later changes go to its sink until `close`. */
export interface ReplyFeed {
  row: MessageRow;
  text: string;
  close(): void;
}

export type OpenReply = (sink: ReplySink) => ReplyFeed | Promise<ReplyFeed>;

const finishReasonOf: Record<EndStatus, FinishReason> = {
  complete: "stop",
  stopped: "other",
  error: "error",
  interrupted: "error",
};

export function messageChunk(row: MessageRow): UIMessageChunk {
  const chunk: MessageDataChunk = {
    type: MESSAGE_DATA_CHUNK,
    id: row.id,
    data: toMessage(row),
    transient: true,
  };
  return chunk;
}

/**
 * A reply in the AI SDK UI message stream protocol, as Tandem's clients read it:
 * `start` (messageId: the reply), `data-message` for the user's message (when given) and
 * for the reply as stored, `text-start`, one `text-delta` with the text so far (if any),
 * the live `text-delta`s, `text-end`, `error` (when it ended in error or interrupted),
 * `data-message` with the final row, `finish`. Cancelling it (the client went away) only
 * detaches this follower.
 */
export function replyStream(
  open: OpenReply,
  { user }: { user?: MessageRow } = {},
): ReadableStream<UIMessageChunk> {
  let feed: ReplyFeed | undefined;
  let done = false;

  return new ReadableStream<UIMessageChunk>({
    async start(controller) {
      let textId = "text";
      let headSent = false;
      const early: Array<() => void> = [];
      const send = (chunk: UIMessageChunk) => {
        if (!done) controller.enqueue(chunk);
      };
      const onDelta = (delta: string) => {
        if (delta !== "") send({ type: "text-delta", id: textId, delta });
      };
      const onEnd = (end: ReplyEnd) => {
        if (done) return;
        send({ type: "text-end", id: textId });
        if (end.status === "error" || end.status === "interrupted") {
          send({ type: "error", errorText: end.error ?? "The reply failed" });
        }
        if (end.row) send(messageChunk(end.row));
        send({ type: "finish", finishReason: end.finishReason ?? finishReasonOf[end.status] });
        done = true;
        controller.close();
        feed?.close();
      };
      // Whatever arrives before the head is written waits for it, in order.
      const sink: ReplySink = {
        delta: (delta) => (headSent ? onDelta(delta) : early.push(() => onDelta(delta))),
        end: (end) => (headSent ? onEnd(end) : early.push(() => onEnd(end))),
      };

      try {
        feed = await open(sink);
      } catch (error) {
        done = true;
        controller.error(error);
        return;
      }
      if (done) {
        feed.close();
        return;
      }
      textId = `text-${feed.row.id}`;
      send({ type: "start", messageId: feed.row.id });
      if (user) send(messageChunk(user));
      send(messageChunk(feed.row));
      send({ type: "text-start", id: textId });
      onDelta(feed.text);
      headSent = true;
      for (const event of early) event();
    },
    cancel() {
      done = true;
      feed?.close();
    },
  });
}
