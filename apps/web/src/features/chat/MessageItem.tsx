import { MESSAGE_CONTENT_MAX, type Message } from "@tandem/shared";
import { eq, useLiveQuery } from "@tanstack/react-db";
import { lazy, memo, Suspense, useState } from "react";
import { streamsCollection } from "../../collections/streams.ts";
import { describeError } from "../../lib/api.ts";
import { lengthStatus } from "../../lib/length-limit.ts";
import { retryReply } from "../../sync/replies.ts";
import { editMessage, regenerateReply } from "./actions.ts";
import { CopyButton } from "./CopyButton.tsx";
import { LengthNote } from "./LengthNote.tsx";
import { chooseBranch } from "./useBranchAnchor.ts";

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

/** Where the message is in the chat: the last on screen, and which of its turn's versions it is. */
interface MessagePlace {
  latest?: boolean;
  versionIndex?: number | undefined;
  versionCount?: number | undefined;
  previousVersion?: string | undefined;
  nextVersion?: string | undefined;
}

const roleLabels = { user: "You", assistant: "Assistant", system: "System" } as const;

/** Memoised on its props: a row the live query did not change keeps its object, so it does not re-render. */
export const MessageItem = memo(function MessageItem(props: MessageView & MessagePlace) {
  const { message, status, failure, highlighted } = props;
  const [editing, setEditing] = useState(false);
  const settled = status !== "pending" && status !== "failed";
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
      {editing ? (
        <EditForm message={message} close={() => setEditing(false)} />
      ) : message.role === "assistant" ? (
        status === "streaming" ? (
          <LiveReply message={message} />
        ) : status === "pending" && !message.content ? (
          <div className="message-body reply-body">
            <span className="typing">Waiting to be written…</span>
          </div>
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
      {!editing && (
        <MessageActions
          {...props}
          canEdit={message.role === "user" && settled}
          canRegenerate={
            props.latest === true &&
            message.role === "assistant" &&
            message.parentId !== null &&
            settled &&
            status !== "streaming"
          }
          edit={() => setEditing(true)}
        />
      )}
    </article>
  );
});

/** The row under a message: its versions, and what can be done with it. */
function MessageActions({
  message,
  versionIndex,
  versionCount,
  previousVersion,
  nextVersion,
  canEdit,
  canRegenerate,
  edit,
}: MessageView & MessagePlace & { canEdit: boolean; canRegenerate: boolean; edit: () => void }) {
  const show = (id: string) => chooseBranch(message.projectId, id);
  return (
    <div className="message-actions">
      {versionCount !== undefined && (
        // biome-ignore lint/a11y/useSemanticElements: a group of controls, not a form's fieldset
        <div className="versions" role="group" aria-label="Versions">
          <VersionButton label="Previous version" glyph="‹" to={previousVersion} show={show} />
          <span className="version-count">{`${versionIndex} / ${versionCount}`}</span>
          <VersionButton label="Next version" glyph="›" to={nextVersion} show={show} />
        </div>
      )}
      <div className="message-buttons">
        <CopyButton message={message} />
        {canEdit && (
          <button type="button" className="small ghost" onClick={edit}>
            Edit
          </button>
        )}
        {canRegenerate && (
          <button type="button" className="small ghost" onClick={() => regenerateReply(message)}>
            Regenerate
          </button>
        )}
      </div>
    </div>
  );
}

function VersionButton(props: {
  label: string;
  glyph: string;
  to: string | undefined;
  show: (id: string) => void;
}) {
  const { label, glyph, to, show } = props;
  return (
    <button type="button" className="icon" aria-label={label} disabled={!to} onClick={() => to && show(to)}>
      {glyph}
    </button>
  );
}

/** A user message being edited: saving sends the new text as a new version of it, and nothing is lost. */
function EditForm({ message, close }: { message: Message; close: () => void }) {
  const [text, setText] = useState(message.content);
  const length = lengthStatus(text.length, MESSAGE_CONTENT_MAX);
  const canSave = text.trim() !== "" && length.kind !== "over";
  const noteId = `edit-length-${message.id}`;
  const save = () => {
    if (!canSave) return;
    editMessage(message, text);
    close();
  };
  return (
    <form
      className="edit-message"
      onSubmit={(event) => {
        event.preventDefault();
        save();
      }}
    >
      <textarea
        aria-label="Edit message"
        aria-describedby={noteId}
        aria-invalid={length.kind === "over" || undefined}
        value={text}
        // biome-ignore lint/a11y/noAutofocus: the user just asked to edit this message
        autoFocus
        rows={Math.min(12, Math.max(2, text.split("\n").length))}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") close();
          if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            save();
          }
        }}
      />
      <LengthNote id={noteId} status={length} />
      <div className="edit-buttons">
        <button type="button" className="small ghost" onClick={close}>
          Cancel
        </button>
        <button type="submit" className="small" disabled={!canSave}>
          Save and send
        </button>
      </div>
    </form>
  );
}

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
