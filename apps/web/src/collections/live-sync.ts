import type { ChangeEvent } from "@tandem/shared";
import { startFeed } from "../lib/feed.ts";
import { forgetProjectFailures } from "./failed-writes.ts";
import { dropMessagesCollection, loadedMessagesCollections, messagesCollection } from "./messages.ts";
import { projectsCollection } from "./projects.ts";

/**
 * Keeps the collections equal to the database: snapshots (the REST lists) carry the
 * feed position they are consistent with, and the change feed brings every change
 * after it. Changes are applied with direct writes, idempotently: a row never goes back
 * to an older version, and a change a snapshot already holds is skipped.
 */

/** The changes a snapshot can hold; running processes are followed through their messages. */
type RowChange = Exclude<ChangeEvent, { entity: "running_process" }>;

interface Buffered {
  position: bigint;
  event: RowChange;
}

/** A loaded snapshot: its feed position, and the changes that arrive while it loads. */
interface Scope {
  position: bigint | undefined;
  loading: number;
  buffered: Buffered[];
}

const scopes = new Map<string, Scope>();
/** The newest feed position this tab has: where the feed resumes if this tab leads. */
let feedPosition: bigint | undefined;

export const projectsScope = "projects";
export const messagesScope = (projectId: string) => `messages:${projectId}`;
const scopeOf = (event: RowChange) =>
  event.entity === "project" ? projectsScope : messagesScope(event.projectId);

interface Versioned {
  id: string;
  version: number;
}

/**
 * Reads a snapshot for a scope. Changes that arrive while it is read are merged into
 * it when they are newer than its position, so nothing committed meanwhile is lost.
 */
export async function readSnapshot<T extends Versioned>(
  key: string,
  read: () => Promise<{ rows: T[]; position: string | undefined }>,
): Promise<T[]> {
  let scope = scopes.get(key);
  if (!scope) {
    scope = { position: undefined, loading: 0, buffered: [] };
    scopes.set(key, scope);
  }
  scope.loading++;
  try {
    const { rows, position } = await read();
    const at = position === undefined ? undefined : BigInt(position);
    let merged = rows;
    for (const change of scope.buffered) {
      if (at === undefined || change.position > at) merged = mergeChange(merged, change.event);
    }
    scope.position = at;
    if (key === projectsScope && feedPosition === undefined) feedPosition = at;
    return merged;
  } finally {
    scope.loading--;
    if (scope.loading === 0) scope.buffered = [];
  }
}

export function forgetScope(key: string): void {
  scopes.delete(key);
}

function mergeChange<T extends Versioned>(rows: T[], event: RowChange): T[] {
  const others = rows.filter((row) => row.id !== event.id);
  if (event.op === "delete") return others;
  const current = rows.find((row) => row.id === event.id);
  if (current && current.version >= event.row.version) return rows;
  return [...others, event.row as unknown as T];
}

export function applyChange(position: string, event: ChangeEvent): void {
  const at = BigInt(position);
  if (feedPosition === undefined || at > feedPosition) feedPosition = at;
  // Replies are followed through their message rows (status `streaming`).
  if (event.entity === "running_process") return;

  // A scope not loaded here: when it loads, its snapshot will hold this change.
  const scope = scopes.get(scopeOf(event));
  if (!scope) return;
  if (scope.loading > 0) {
    scope.buffered.push({ position: at, event });
    return;
  }
  if (scope.position !== undefined && at <= scope.position) return;

  switch (event.entity) {
    case "project":
      if (event.op === "delete") {
        deleteSynced(projectsCollection, event.id);
        dropMessagesCollection(event.id);
        forgetScope(messagesScope(event.id));
        forgetProjectFailures(event.id);
      } else {
        upsertSynced(projectsCollection, event.row);
      }
      return;
    case "message": {
      const messages = messagesCollection(event.projectId);
      if (event.op === "delete") deleteSynced(messages, event.id);
      else upsertSynced(messages, event.row);
      return;
    }
  }
}

interface SyncedCollection<T extends Versioned> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  utils: { writeUpsert(row: T): Promise<void>; writeDelete(key: string): Promise<void> };
}

function upsertSynced<T extends Versioned>(collection: SyncedCollection<T>, row: T) {
  const current = collection.get(row.id);
  if (current && current.version >= row.version) return;
  void collection.utils.writeUpsert(row);
}

function deleteSynced<T extends Versioned>(collection: SyncedCollection<T>, id: string) {
  if (!collection.has(id)) return;
  collection.utils.writeDelete(id).catch(() => {
    // Only optimistic here (a create still on its way): nothing synced to remove.
  });
}

/** The server's log no longer reaches back to our position: read every snapshot again. */
function resetAll(position: string) {
  feedPosition = BigInt(position);
  void projectsCollection.utils.refetch();
  for (const messages of loadedMessagesCollections()) void messages.utils.refetch();
}

/** Starts the change feed (shared by this browser's tabs) once the projects are loaded. */
export function startLiveSync(): void {
  startFeed({
    ready: projectsCollection.toArrayWhenReady(),
    position: () => feedPosition?.toString(),
    change: applyChange,
    reset: resetAll,
  });
}
