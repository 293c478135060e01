import type { FeedEvent, MemberChange, Message, Project } from "@tandem/shared";
import { forgetProjectFailures } from "../collections/failed-writes.ts";
import {
  dropMessagesCollection,
  loadedMessagesCollection,
  loadedMessagesCollections,
  messagesCollection,
} from "../collections/messages.ts";
import { projectsCollection } from "../collections/projects.ts";
import { startFeed } from "../lib/feed.ts";
import { pendingWrites } from "../lib/outbox.ts";
import { overlayPending } from "../lib/outbox-rules.ts";
import { replica, replicaFeedPosition } from "../lib/replica.ts";
import {
  firstSnapshotPosition,
  forgetScope,
  messagesScope,
  noteChange,
  projectsScope,
  type RowChange,
  scopeOf,
  scopeState,
} from "../lib/snapshots.ts";
import { takesOver, type Versioned } from "../lib/version-merge.ts";

/**
 * Keeps the collections equal to the database, and the persisted replica equal to the
 * collections. Snapshots (the REST lists) carry the feed position they are consistent
 * with, and the change feed brings every change after it. Every server row goes in
 * through here, with a direct write, idempotently: a row never goes back to an older
 * version, and a change a snapshot already holds is skipped.
 */

/** The newest feed position this tab has: where the feed resumes if this tab leads. */
let feedPosition: bigint | undefined;

/** A collection the sync layer writes server (or user) rows into directly. */
export interface SyncedCollection<T> {
  get(key: string): T | undefined;
  utils: { writeUpsert(row: T): Promise<void>; writeDelete(key: string): Promise<void> };
}

/**
 * `confirms`: the answer to this browser's own write, which replaces the user's row even
 * at the same version. A row this browser still has unsent writes to is shown with them
 * laid over (a pending rename keeps its name, a pending delete keeps it hidden).
 */
function upsertRow<T extends Versioned>(
  key: string,
  collection: SyncedCollection<T>,
  row: T,
  confirms: boolean,
): Promise<void> {
  const current = collection.get(row.id);
  if (current && current.version > row.version) return Promise.resolve();
  replica.put(key, row);
  if (!takesOver(current, row, confirms)) return Promise.resolve();
  const shown = overlayPending(row, pendingWrites(row.id));
  if (!shown) return Promise.resolve();
  try {
    return collection.utils.writeUpsert(shown);
  } catch {
    // A collection not loaded in this tab takes no direct write: its loader reads the row later.
    return Promise.resolve();
  }
}

/**
 * Removes a row from the synced store. Not guarded by `has`: that answers for the visible
 * state, and a pending optimistic delete hides a row the synced store still holds.
 */
function deleteRow<T extends Versioned>(key: string, collection: SyncedCollection<T>, id: string) {
  replica.delete(key, id);
  const notSynced = () => {
    // Only optimistic here (a create still on its way): nothing synced to remove.
  };
  try {
    collection.utils.writeDelete(id).catch(notSynced);
  } catch {
    notSynced();
  }
}

/** A project row the server answered or announced. Never awaited inside a write handler. */
export function syncProject(row: Project, confirms = false): Promise<void> {
  return upsertRow(projectsScope, projectsCollection, row, confirms);
}

export function syncProjectDeleted(id: string): void {
  deleteRow(projectsScope, projectsCollection, id);
  dropMessagesCollection(id);
  forgetScope(messagesScope(id));
  forgetProjectFailures(id);
}

/** A message row the server answered or announced. Never awaited inside a write handler. */
export function syncMessage(row: Message, confirms = false): Promise<void> {
  return upsertRow(messagesScope(row.projectId), messagesCollection(row.projectId), row, confirms);
}

export function syncMessageDeleted(projectId: string, id: string): void {
  deleteRow(messagesScope(projectId), messagesCollection(projectId), id);
}

export function applyChange(position: string, event: FeedEvent): void {
  const at = BigInt(position);
  if (feedPosition === undefined || at > feedPosition) feedPosition = at;
  if (event.entity === "member") announceMemberChange(event);
  else if (event.entity !== "running_process") applyRowChange(at, event);
  replica.feedPosition(position);
}

const memberListeners = new Set<(change: MemberChange) => void>();

/** Membership changes are not kept here: whoever shows a project's members listens for them. */
export function onMemberChange(listener: (change: MemberChange) => void): () => void {
  memberListeners.add(listener);
  return () => memberListeners.delete(listener);
}

function announceMemberChange(change: MemberChange) {
  for (const listener of memberListeners) listener(change);
}

function applyRowChange(at: bigint, event: RowChange) {
  if (event.entity === "message") {
    applyMessageChange(at, event);
    return;
  }
  // Projects: one snapshot holds them all.
  const scope = scopeState(scopeOf(event));
  if (!scope) {
    // Not loaded here: its snapshot will hold this change. A replica of it stays current.
    if (event.op === "delete") replica.delete(scopeOf(event), event.id);
    else replica.put(scopeOf(event), event.row);
    if (event.entity === "project" && event.op === "delete") replica.drop(messagesScope(event.id));
    return;
  }
  if (scope.loading > 0) {
    scope.buffered.push({ position: at, event });
    return;
  }
  if (scope.position !== undefined && at <= scope.position) return;

  const start = performance.now();
  if (event.op === "delete") syncProjectDeleted(event.id);
  else void syncProject(event.row);
  performance.measure("tandem:collection-write", { start, end: performance.now() });
}

/**
 * Messages load by window, so a change goes straight into the project's collection
 * whether or not a loaded window holds its row: a direct write, which the on-demand
 * collection applies to the windows that hold the key only (its cost does not grow with
 * the history). The version check keeps a newer row; `noteChange` lets a window read
 * under way answer the row as of this change (see `readWindow`).
 */
function applyMessageChange(at: bigint, event: Extract<RowChange, { entity: "message" }>) {
  noteChange(at, event);
  const scope = messagesScope(event.projectId);
  if (!loadedMessagesCollection(event.projectId)) {
    // Not opened in this tab: a replica of it stays current.
    if (event.op === "delete") replica.delete(scope, event.id);
    else replica.put(scope, event.row);
    return;
  }
  const start = performance.now();
  if (event.op === "delete") syncMessageDeleted(event.projectId, event.id);
  else void syncMessage(event.row);
  performance.measure("tandem:collection-write", { start, end: performance.now() });
}

/** The server's log no longer reaches back to our position: read every snapshot again. */
function resetAll(position: string) {
  feedPosition = BigInt(position);
  refreshSnapshots();
}

/** Reads every loaded snapshot again (after a reset, or once a paused session is back). */
export function refreshSnapshots(): void {
  void projectsCollection.utils.refetch();
  for (const messages of loadedMessagesCollections()) void messages.utils.refetch();
}

/**
 * Starts the change feed (shared by this browser's tabs), from the replica's position or
 * the first snapshot's. `dropped`: the connection failed while online (the session may
 * have ended).
 */
export function startLiveSync({ dropped }: { dropped: () => void }): void {
  feedPosition ??= replicaFeedPosition() === undefined ? undefined : BigInt(replicaFeedPosition() as string);
  startFeed({
    ready: feedPosition === undefined ? projectsCollection.toArrayWhenReady() : Promise.resolve(),
    position: () => (feedPosition ?? firstSnapshotPosition())?.toString(),
    change: applyChange,
    reset: resetAll,
    dropped,
  });
}
