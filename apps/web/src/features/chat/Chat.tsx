import type { Message } from "@tandem/shared";
import { eq, lt, useLiveInfiniteQuery, useLiveQuery } from "@tanstack/react-db";
import { useEffect, useState } from "react";
import { failedWrites } from "../../collections/failed-writes.ts";
import {
  byCreatedAt,
  loadAfter,
  messagesCollection,
  releaseHeld,
  windowShown,
} from "../../collections/messages.ts";
import { describeError } from "../../lib/api.ts";
import { retryNow } from "../../sync/outbox.ts";
import { followReply, stopReply } from "../../sync/replies.ts";
import { useOutbox } from "../connection/useOutbox.ts";
import { retryMessage, sendMessage } from "./actions.ts";
import { branchOf } from "./branch.ts";
import { Composer } from "./Composer.tsx";
import {
  justAfter,
  type MessageTarget,
  CHAT_PAGE as PAGE,
  targetReached,
  useMessageTarget,
} from "./go-to-message.ts";
import { MessageItem, type MessageView } from "./MessageItem.tsx";
import { useBranchAnchor } from "./useBranchAnchor.ts";
import { useFollowNewest } from "./useFollowNewest.ts";

/** How long a message opened from elsewhere (a search hit) stays highlighted. */
const HIGHLIGHT_MS = 2500;

/** What a target highlights once it is on screen (nothing when it could not be opened). */
function highlightOf(target: MessageTarget | undefined) {
  return target && !target.error ? { id: target.messageId, request: target.request } : undefined;
}

export function Chat({ projectId }: { projectId: string }) {
  const collection = messagesCollection(projectId);
  const target = useMessageTarget(projectId);
  // Held at an older message (a search hit): the chat shows the messages up to `upTo`
  // (exclusive), a page more per "Show earlier", and newer ones on "Show newer messages".
  // The first page shown (PAGE messages, the newest or up to `upTo`) is also the window
  // the collection reads: the query's demand is pushed down to the API.
  const [upTo, setUpTo] = useState(target?.upTo);
  const [highlight, setHighlight] = useState(() => highlightOf(target));
  const [targetError, setTargetError] = useState(target?.error);
  // The newest messages only, a page more per "Show earlier": a long history is neither
  // loaded, rendered nor in the DOM until the user asks for it. One live query whose
  // window grows (a new query per size would drop the old window's rows and reload).
  const newest = useLiveInfiniteQuery(
    (q) => {
      const all = q.from({ m: collection });
      const shown = upTo === undefined ? all : all.where(({ m }) => lt(m.createdAt, upTo));
      return shown.orderBy(({ m }) => m.createdAt, byCreatedAt);
    },
    { pageSize: PAGE },
    [collection, upTo],
  );
  const hasEarlier = newest.hasNextPage;
  const messages = { ...newest, data: [...newest.data].reverse() };
  const failedSends = useLiveQuery({
    query: (q) =>
      q
        .from({ f: failedWrites() })
        .where(({ f }) => eq(f.projectId, projectId))
        .where(({ f }) => eq(f.entity, "message"))
        .where(({ f }) => eq(f.op, "insert")),
  });

  const outbox = useOutbox();
  const [anchor, chooseAnchor] = useBranchAnchor(projectId);
  // Sends the server refused or never got stay in the chat, in place, marked failed.
  const failed = new Map(
    failedSends.data.map((write) => [write.id, { row: write.row as Message, write }] as const),
  );
  // Each row as the collection holds it now: the paged live query can be a few renders
  // behind a direct write that moves a row (a send stored with the server's parent and
  // time) while the outbox already says it is sent, and the branch must not mix the two.
  const loaded = messages.data
    .filter((message) => !failed.has(message.id))
    .map((message) => collection.get(message.id) ?? message);
  // Plain sends the server has not placed yet show where it will put them (see branchOf).
  const unplaced = {
    unsent: new Set(loaded.filter((message) => outbox.plainSend(message.id)).map((message) => message.id)),
    failed: new Set(
      [...failed.values()]
        .filter(({ row, write }) => row.role === "user" && !write.edits)
        .map(({ row }) => row.id),
    ),
  };
  const branch = branchOf([...loaded, ...[...failed.values()].map(({ row }) => row)], anchor, unplaced);
  const views = branch.messages.map((message): MessageView => {
    const failure = failed.get(message.id);
    if (failure) {
      return {
        message,
        status: "failed",
        failure: { error: failure.write.error, retry: () => retryMessage(failure.write) },
      };
    }
    if (!outbox.pending(message.id)) return { message, status: message.status };
    const error = outbox.online ? outbox.failure(message.id) : undefined;
    return error
      ? { message, status: "failed", failure: { error, retry: retryNow } }
      : { message, status: "pending" };
  });
  const last = views.at(-1);
  // A new message follows the last one on screen that the server has or will have.
  const parentOfNext = views.findLast((view) => !failed.has(view.message.id))?.message.id ?? null;
  const showEarlier = () => {
    if (newest.hasNextPage && !newest.isFetchingNextPage) void newest.fetchNextPage();
  };
  const log = useFollowNewest(
    views.length,
    { id: last?.message.id, text: last?.message.content },
    hasEarlier ? showEarlier : undefined,
    upTo === undefined,
  );

  // A message asked for (a search hit) while the chat is open: held at it.
  useEffect(() => {
    if (!target) return;
    setUpTo(target.upTo);
    setTargetError(target.error);
    setHighlight((current) => (current?.request === target.request ? current : highlightOf(target)));
    if (target.error) targetReached(target.request);
  }, [target]);

  // Back at the newest: the stretch read around the message is not answered from any more.
  useEffect(() => {
    if (upTo === undefined) releaseHeld(projectId);
  }, [projectId, upTo]);

  // A message on another branch than the one on screen (an older version): show its branch.
  const highlightShown = highlight !== undefined && views.some((view) => view.message.id === highlight.id);
  const highlightLoaded = highlight !== undefined && loaded.some((message) => message.id === highlight.id);
  useEffect(() => {
    if (highlight && highlightLoaded && !highlightShown) chooseAnchor(highlight.id);
  }, [highlight, highlightLoaded, highlightShown, chooseAnchor]);

  // Once it is on screen: scrolled to, highlighted for a while.
  useEffect(() => {
    if (!highlight || !highlightShown) return;
    const article = log.ref.current?.querySelector(`[data-message-id="${CSS.escape(highlight.id)}"]`);
    article?.scrollIntoView({ block: "center" });
    targetReached(highlight.request);
    const timer = setTimeout(() => setHighlight((h) => (h === highlight ? undefined : h)), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight, highlightShown, log.ref]);

  const [loadingNewer, setLoadingNewer] = useState(false);
  const showNewer = () => {
    const newestShown = messages.data.at(-1);
    if (!newestShown || loadingNewer) return;
    setLoadingNewer(true);
    setTargetError(undefined);
    loadAfter(projectId, newestShown.id, PAGE)
      .then((rows) => {
        const newestRow = rows.at(-1);
        // The newest are reached: the chat follows them again.
        setUpTo(rows.length < PAGE || !newestRow ? undefined : justAfter(newestRow.createdAt));
      })
      .catch((error: unknown) => setTargetError(describeError(error)))
      .finally(() => setLoadingNewer(false));
  };

  // The first window is on screen: the collection may now read the server's (after a
  // first paint from the replica, the network waits for that paint).
  useEffect(() => {
    if (messages.isReady) windowShown(projectId);
  }, [projectId, messages.isReady]);

  // Replies still being written (after a reload, or started elsewhere): follow them. A
  // regenerate this browser has not sent yet is not on the server to follow.
  const streaming = messages.data.filter(
    (m) => m.role === "assistant" && m.status === "streaming" && !outbox.pending(m.id),
  );
  const streamingIds = streaming.map((m) => m.id).join(",");
  useEffect(() => {
    for (const id of streamingIds ? streamingIds.split(",") : []) followReply(projectId, id);
  }, [projectId, streamingIds]);

  return (
    <div className="chat">
      <div className="log" role="log" aria-label="Messages" ref={log.ref} aria-busy={messages.isLoading}>
        {messages.isLoading && <p className="muted center">Loading messages…</p>}
        {collection.utils.isError && views.length === 0 && (
          <p className="muted center" role="alert">
            Couldn't load messages: {describeError(collection.utils.lastError)}.{" "}
            <button type="button" className="link" onClick={() => void collection.utils.refetch()}>
              Try again
            </button>
          </p>
        )}
        {messages.isReady && views.length === 0 && (
          <div className="empty-chat">
            <p>No messages yet.</p>
            <p className="muted">Write the first one below. Enter sends, Shift+Enter adds a line.</p>
          </div>
        )}
        {hasEarlier && (
          <button type="button" className="link earlier" onClick={showEarlier}>
            Show earlier messages
          </button>
        )}
        {views.map((view) => {
          const versions = branch.versions.get(view.message.id);
          return (
            <MessageItem
              key={view.message.id}
              message={view.message}
              status={view.status}
              failure={view.failure}
              latest={view === last}
              versionIndex={versions?.index}
              versionCount={versions?.count}
              previousVersion={versions?.previous}
              nextVersion={versions?.next}
              highlighted={view.message.id === highlight?.id}
            />
          );
        })}
        {targetError && (
          <p className="muted center" role="alert">
            Couldn't open that message: {targetError}.
          </p>
        )}
        {log.behind && (
          <button type="button" className="new-below" onClick={log.toNewest}>
            New messages
          </button>
        )}
        {upTo !== undefined && (
          <div className="newer">
            <button type="button" className="link" onClick={showNewer} disabled={loadingNewer}>
              Show newer messages
            </button>
            <button type="button" className="link" onClick={() => setUpTo(undefined)}>
              Jump to newest
            </button>
          </div>
        )}
      </div>
      <Composer
        projectId={projectId}
        onSend={(content) => {
          setUpTo(undefined);
          // The sender reads on from their own message, wherever they were in the history.
          log.toNewest();
          sendMessage(projectId, content, parentOfNext);
        }}
        stop={streaming.length > 0 ? <StopButton replies={streaming} /> : null}
      />
    </div>
  );
}

function StopButton({ replies }: { replies: Message[] }) {
  const [error, setError] = useState<string>();
  return (
    <>
      {error && (
        <span className="composer-error" role="alert">
          Couldn't stop: {error}
        </span>
      )}
      <button
        type="button"
        className="stop"
        onClick={() => {
          setError(undefined);
          for (const reply of replies) stopReply(reply).catch((e: unknown) => setError(describeError(e)));
        }}
      >
        Stop
      </button>
    </>
  );
}
