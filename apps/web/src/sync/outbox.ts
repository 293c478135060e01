import type { Message, Project } from "@tandem/shared";
import { createTransaction } from "@tanstack/react-db";
import { recordFailedWrite } from "../collections/failed-writes.ts";
import { messagesCollection } from "../collections/messages.ts";
import { projectsCollection } from "../collections/projects.ts";
import { ApiRequestError, api, describeError, send } from "../lib/api.ts";
import { outboxStore, type StoredEntry } from "../lib/outbox-store.ts";
import { parseProject } from "../lib/snapshots.ts";
import { syncProject, syncProjectDeleted } from "./live-sync.ts";
import { sendChatMessage } from "./replies.ts";

/**
 * Every write a user makes goes through the outbox: it is stored (IndexedDB; it survives
 * a reload and a closed tab), shown at once as a pending optimistic change in every tab,
 * and sent in order by one tab (the holder of a Web Lock) when the server can be reached.
 * Retries are safe: ids are made here and the server is idempotent.
 *
 * - accepted: the server's row replaces the optimistic one;
 * - refused for good (400, 404, 409): it leaves the outbox, rolls back, and the user is
 *   told (a failed message or project keeps its text, with Retry); the writes behind it
 *   go on;
 * - not received (no connection, a 5xx, a reply still being written): it stays, first in
 *   line, and is sent again with backoff, at once when the connection returns, or when
 *   the user presses Retry. While the browser is online it shows as failed meanwhile.
 */
export type OutboxEntry =
  | { kind: "createProject"; project: Project }
  | { kind: "updateProject"; project: Project; baseVersion: number }
  | { kind: "deleteProject"; project: Project }
  | { kind: "sendMessage"; message: Message };

type Stored = StoredEntry<OutboxEntry> & { seq: number };

type Notice =
  | { type: "enqueued"; stored: Stored }
  | { type: "attempted"; seq: number; attempts: number; error: string }
  | { type: "delivered"; seq: number; row?: Project }
  | { type: "refused"; seq: number; error: string; status: number }
  | { type: "retry-now" };

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const SENDER_LOCK = "tandem-outbox-sender";

/** The entries this tab knows, with what their last attempt said. */
const entries = new Map<number, Stored>();
/** How each entry's optimistic transaction settles. */
const settlers = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
const listeners = new Set<() => void>();
let version = 0;

const channel = typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel("tandem-outbox");

function changed() {
  version++;
  for (const listener of listeners) listener();
}

/** For useSyncExternalStore: the outbox as this tab sees it. */
export const outboxState = {
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  version: () => version,
  count: () => entries.size,
  /** The last failed attempt at sending this row's write, while it waits to be sent again. */
  failure(id: string): string | undefined {
    for (const stored of entries.values()) {
      if (rowIdOf(stored.entry) === id && stored.attempts > 0) return stored.error;
    }
    return undefined;
  },
};

function rowIdOf(entry: OutboxEntry): string {
  return entry.kind === "sendMessage" ? entry.message.id : entry.project.id;
}

/** Adds a write to the outbox and shows it at once. */
export async function enqueue(entry: OutboxEntry): Promise<void> {
  // The optimistic change first, in this frame; the stored entry follows.
  const bind = track(entry);
  const seq = await outboxStore.add(entry);
  const stored: Stored = { seq, entry, attempts: 0 };
  bind(seq);
  entries.set(seq, stored);
  changed();
  notify({ type: "enqueued", stored });
  wake();
}

/** Sends the first waiting write again now (the user pressed Retry). */
export function retryNow(): void {
  notify({ type: "retry-now" });
}

/**
 * Shows an entry as an optimistic change, held by a transaction that settles when the
 * sending tab reports the entry accepted or refused. Answers how to bind it to its seq.
 */
function track(entry: OutboxEntry): (seq: number) => void {
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const outcome = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const transaction = createTransaction({ autoCommit: true, mutationFn: () => outcome });
  transaction.isPersisted.promise.catch(() => {});
  try {
    transaction.mutate(() => applyOptimistic(entry));
  } catch (error) {
    // The local state disagrees (already there, already gone): the server decides.
    console.warn("Could not show a pending change", error);
  }
  return (seq) => settlers.set(seq, settle);
}

function applyOptimistic(entry: OutboxEntry) {
  switch (entry.kind) {
    case "createProject":
      projectsCollection.insert(entry.project);
      return;
    case "updateProject":
      projectsCollection.update(entry.project.id, (draft) => {
        draft.name = entry.project.name;
        draft.status = entry.project.status;
      });
      return;
    case "deleteProject":
      projectsCollection.delete(entry.project.id);
      return;
    case "sendMessage":
      messagesCollection(entry.message.projectId).insert(entry.message);
      return;
  }
}

function settleEntry(seq: number, ok: boolean, error?: unknown) {
  const settler = settlers.get(seq);
  settlers.delete(seq);
  if (!settler) return;
  if (ok) settler.resolve();
  else settler.reject(error);
}

function notify(notice: Notice) {
  receive(notice);
  channel?.postMessage(notice);
}

function receive(notice: Notice) {
  switch (notice.type) {
    case "enqueued":
      if (!entries.has(notice.stored.seq)) {
        // Another tab's write: shown here too, and settled when the sender reports it.
        track(notice.stored.entry)(notice.stored.seq);
        entries.set(notice.stored.seq, notice.stored);
        changed();
      }
      wake();
      return;
    case "attempted": {
      const stored = entries.get(notice.seq);
      if (stored) {
        entries.set(notice.seq, { ...stored, attempts: notice.attempts, error: notice.error });
        changed();
      }
      return;
    }
    case "delivered":
    case "refused": {
      const stored = entries.get(notice.seq);
      entries.delete(notice.seq);
      changed();
      if (notice.type === "delivered") {
        if (notice.row) void syncProject(notice.row, true);
        settleEntry(notice.seq, true);
      } else {
        if (stored) recordRefusal(stored.entry, notice.error, notice.status);
        settleEntry(notice.seq, false, new ApiRequestError(notice.status, "refused", notice.error));
      }
      return;
    }
    case "retry-now":
      wake(true);
      return;
  }
}

function recordRefusal(entry: OutboxEntry, error: string, status: number) {
  const reason = new ApiRequestError(status, "refused", error);
  if (entry.kind === "sendMessage") {
    const { message } = entry;
    recordFailedWrite(
      { entity: "message", op: "insert", id: message.id, projectId: message.projectId, row: message },
      reason,
    );
    return;
  }
  const op = entry.kind === "createProject" ? "insert" : entry.kind === "updateProject" ? "update" : "delete";
  const { project } = entry;
  recordFailedWrite({ entity: "project", op, id: project.id, projectId: project.id, row: project }, reason);
}

// --- Sending: one tab at a time --------------------------------------------------

let wakeUp: (() => void) | undefined;
let retryImmediately = false;

function wake(immediately = false) {
  if (immediately) retryImmediately = true;
  wakeUp?.();
}

function nextWake(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wakeUp = undefined;
      resolve();
    }
    wakeUp = done;
  });
}

/** Versions our own accepted updates moved a row to, so a chain of offline edits does not conflict with itself. */
const ownVersions = new Map<string, { from: number; to: number }>();

async function deliver(entry: OutboxEntry): Promise<Project | undefined> {
  switch (entry.kind) {
    case "createProject": {
      const { id, name, status } = entry.project;
      return send(() => api.projects.$post({ json: { id, name, status } }));
    }
    case "updateProject": {
      const { id, name, status } = entry.project;
      const own = ownVersions.get(id);
      const version = own && own.from === entry.baseVersion ? own.to : entry.baseVersion;
      const stored = await send(() =>
        api.projects[":id"].$patch({ param: { id }, json: { name, status, version } }),
      );
      ownVersions.set(id, { from: entry.baseVersion, to: stored.version });
      return stored;
    }
    case "deleteProject":
      try {
        await send(() => api.projects[":id"].$delete({ param: { id: entry.project.id } }));
      } catch (error) {
        // Already gone is what we wanted.
        if (!(error instanceof ApiRequestError && error.status === 404)) throw error;
      }
      syncProjectDeleted(entry.project.id);
      return undefined;
    case "sendMessage":
      await sendChatMessage(entry.message);
      return undefined;
  }
}

/** Refused for good: sending it again as it is would be refused again. */
function isRefusal(error: unknown): error is ApiRequestError {
  return (
    error instanceof ApiRequestError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.code !== "generation_running"
  );
}

async function sendAll(): Promise<never> {
  let retryMs = RETRY_MIN_MS;
  for (;;) {
    const [first] = await outboxStore.all<OutboxEntry>();
    if (!first) {
      await nextWake(RETRY_MAX_MS);
      continue;
    }
    if (!navigator.onLine) {
      await nextWake(RETRY_MAX_MS);
      continue;
    }
    try {
      const row = await deliver(first.entry);
      await outboxStore.remove(first.seq);
      notify({ type: "delivered", seq: first.seq, row });
      retryMs = RETRY_MIN_MS;
    } catch (error) {
      if (isRefusal(error)) {
        // Someone else changed it first: show their version, the one that won.
        const current = error.code === "version_conflict" ? parseProject(error.current) : undefined;
        if (current) void syncProject(current, true);
        await outboxStore.remove(first.seq);
        notify({ type: "refused", seq: first.seq, error: describeError(error), status: error.status });
        continue;
      }
      const attempts = first.attempts + 1;
      await outboxStore.put({ ...first, attempts, error: describeError(error) });
      notify({ type: "attempted", seq: first.seq, attempts, error: describeError(error) });
      if (!retryImmediately) await nextWake(retryMs);
      retryImmediately = false;
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
  }
}

/**
 * Shows what the outbox holds (after a reload: the writes still unsent, as pending) and
 * starts sending when this tab gets the sender's lock.
 */
export async function startOutbox(): Promise<void> {
  channel?.addEventListener("message", (event: MessageEvent<Notice>) => receive(event.data));
  window.addEventListener("online", () => wake(true));
  const waiting = await outboxStore.all<OutboxEntry>();
  // A rename or delete is shown on its row, so the projects must be there first (they
  // come from the replica, or the network).
  if (waiting.some(({ entry }) => entry.kind === "updateProject" || entry.kind === "deleteProject")) {
    await projectsCollection.toArrayWhenReady();
  }
  for (const stored of waiting) {
    if (entries.has(stored.seq)) continue;
    track(stored.entry)(stored.seq);
    entries.set(stored.seq, stored);
  }
  changed();
  if ("locks" in navigator) {
    void navigator.locks.request(SENDER_LOCK, () => sendAll());
  } else {
    void sendAll();
  }
}
