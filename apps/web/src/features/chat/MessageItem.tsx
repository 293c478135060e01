import type { Message } from "@tandem/shared";
import { eq, useLiveQuery } from "@tanstack/react-db";
import { lazy, memo, Suspense, useState } from "react";
import { streamsCollection } from "../../collections/streams.ts";
import { describeError } from "../../lib/api.ts";
import { retryReply } from "../../sync/replies.ts";

/** Markdown and code highlighting load after the first paint, on the first reply shown. */
const Markdown = lazy(() => import("./Markdown.tsx"));

export interface MessageView {
  message: Message;
  /**
   * `pending` until the server has it (also while offline), `failed` when the server
   * refused it or could not be reached while online.
   */
  status: Message["status"] | "pending" | "failed";
  failure?: { error: string; retry: () => void };
  /** Opened from elsewhere (a search hit) a moment ago. */
  highlighted?: boolean;
}

const roleLabels = { user: "You", assistant: "Assistant", system: "System" } as const;

/** Memoised on its props: a row the live query did not change keeps its object, so it does not re-render. */
export const MessageItem = memo(function MessageItem({ message, status, failure, highlighted }: MessageView) {
  return (
    <article
      className={`message message-${message.role}`}
      data-message-id={message.id}
      data-role={message.role}
      data-status={status}
      data-highlighted={highlighted ? "true" : undefined}
      aria-label={roleLabels[message.role]}
    >
      <div className="message-meta">
        <span className="message-author">{roleLabels[message.role]}</span>
        <span className="message-state">
          {status === "pending" ? (
            "Sending…"
          ) : (
            <time dateTime={message.createdAt}>{formatTime(message.createdAt)}</time>
          )}
        </span>
      </div>
      {message.role === "assistant" ? (
        status === "streaming" ? (
          <LiveReply message={message} />
        ) : (
          <ReplyBody text={message.content} streaming={false} />
        )
      ) : (
        <div className="message-body">{message.content}</div>
      )}
      {failure && (
        <div className="message-failure">
          <span>Not sent: {failure.error}.</span>
          <button type="button" className="small" onClick={failure.retry}>
            Retry
          </button>
        </div>
      )}
      {message.role === "assistant" && <ReplyOutcome message={message} />}
    </article>
  );
});

/** A reply being written: its text comes from the stream this tab follows, per frame. */
function LiveReply({ message }: { message: Message }) {
  const { data } = useLiveQuery({
    query: (q) => q.from({ s: streamsCollection }).where(({ s }) => eq(s.id, message.id)),
  });
  const text = data[0]?.content ?? message.content;
  return <ReplyBody text={text} streaming />;
}

function ReplyBody({ text, streaming }: { text: string; streaming: boolean }) {
  if (!text) {
    return (
      <div className="message-body reply-body">
        <span className="typing">{streaming ? "Writing…" : "(no text)"}</span>
      </div>
    );
  }
  return (
    <div className="message-body reply-body">
      <Suspense fallback={<div className="plain-text">{text}</div>}>
        <Markdown text={text} streaming={streaming} />
      </Suspense>
    </div>
  );
}

/** Why a reply ended early, and a way to write it again. */
function ReplyOutcome({ message }: { message: Message }) {
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<string>();
  if (message.status === "stopped") return <p className="reply-note">Stopped.</p>;
  if (message.status !== "error" && message.status !== "interrupted") return null;

  const reason =
    message.status === "error"
      ? `The reply failed: ${message.error ?? "the model answered with an error"}.`
      : "The reply was cut off: the server stopped while writing it.";
  return (
    <div className="message-failure">
      <span>{retryError ? `Retry failed: ${retryError}.` : reason}</span>
      <button
        type="button"
        className="small"
        disabled={retrying}
        onClick={() => {
          setRetrying(true);
          setRetryError(undefined);
          retryReply(message)
            .catch((error: unknown) => setRetryError(describeError(error)))
            .finally(() => setRetrying(false));
        }}
      >
        Retry
      </button>
    </div>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

function formatTime(iso: string) {
  return timeFormat.format(new Date(iso));
}
