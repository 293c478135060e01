import type { Message } from "@tandem/shared";
import type { FailedWrite } from "../../collections/failed-writes.ts";
import { retryMessage } from "./actions.ts";

export interface MessageView {
  message: Message;
  /** `pending` until the server confirms it, `failed` if it refused or never got it. */
  status: Message["status"] | "pending" | "failed";
  failure?: FailedWrite;
}

const roleLabels = { user: "You", assistant: "Assistant", system: "System" } as const;

export function MessageItem({ view }: { view: MessageView }) {
  const { message, status, failure } = view;
  return (
    <article
      className={`message message-${message.role}`}
      data-role={message.role}
      data-status={status}
      aria-label={`${roleLabels[message.role]}: ${message.content.slice(0, 80)}`}
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
      <div className="message-body">{message.content}</div>
      {failure && (
        <div className="message-failure">
          <span>Not sent: {failure.error}.</span>
          <button type="button" className="small" onClick={() => retryMessage(failure)}>
            Retry
          </button>
        </div>
      )}
    </article>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

function formatTime(iso: string) {
  return timeFormat.format(new Date(iso));
}
