import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import { storageNames } from "./storage-names.ts";

/**
 * The persisted replica: the rows this browser has seen, by scope ("projects",
 * "messages:<projectId>"), with the feed position they are current to. It is read at
 * start so the first paint needs no network, and kept in step with every synced write.
 * Messages are read by window (newest first, by `(scope, createdAt)`), never a whole
 * history.
 *
 * REPLICA_VERSION names the stored shape: a replica of another version (or one that
 * fails to open) is dropped and rebuilt from the server, never read. Version 2 added
 * each row's `createdAt` and the `(scope, createdAt)` index; version 3 message rows carry
 * `parentId` (the message tree).
 */
export const REPLICA_VERSION = 3;
const FLUSH_MS = 100;

interface StoredRow {
  scope: string;
  id: string;
  /** The row's creation time (ISO, milliseconds): the order windows are read in. */
  createdAt: string;
  row: unknown;
}

interface ReplicaSchema extends DBSchema {
  rows: {
    key: [string, string];
    value: StoredRow;
    indexes: { scope: string; scopeTime: [string, string] };
  };
  scopes: { key: string; value: { scope: string; position: string | null } };
  meta: { key: string; value: { key: string; value: unknown } };
}

/** Which of a scope's rows a window holds, by creation time (lexical ISO order). */
export type WindowBounds =
  | { newest: true; below?: undefined; at?: undefined }
  | { below: string; newest?: undefined; at?: undefined }
  | { at: string; newest?: undefined; below?: undefined };

/** The time range a window read from the server covers, to remove what it no longer holds. */
export interface WindowRange {
  from: string;
  fromOpen: boolean;
  to: string;
  toOpen: boolean;
}

type Write =
  | { type: "put"; scope: string; id: string; row: unknown }
  | {
      type: "window";
      scope: string;
      rows: Array<{ id: string; createdAt: string }>;
      range: WindowRange | undefined;
      keep: ReadonlySet<string>;
    }
  | { type: "delete"; scope: string; id: string }
  | { type: "replace"; scope: string; rows: Array<{ id: string }>; position: string | undefined }
  | { type: "drop"; scope: string };

let db: IDBPDatabase<ReplicaSchema> | undefined;
/** Scopes the replica holds: a change to one of them is stored even when it is not loaded. */
const storedScopes = new Set<string>();
let storedFeedPosition: string | undefined;
let queue: Write[] = [];
let queuedFeedPosition: string | undefined;
let flushScheduled = false;

async function open(): Promise<IDBPDatabase<ReplicaSchema>> {
  return openDB<ReplicaSchema>(storageNames.replicaDatabase(), REPLICA_VERSION, {
    // From any older version: drop everything and rebuild from the server. The feed
    // position goes with the rows (both in this database), so nothing is skipped; unsent
    // writes live in the outbox's own database and are not touched.
    upgrade(database) {
      for (const name of [...database.objectStoreNames]) database.deleteObjectStore(name);
      const rows = database.createObjectStore("rows", { keyPath: ["scope", "id"] });
      rows.createIndex("scope", "scope");
      rows.createIndex("scopeTime", ["scope", "createdAt"]);
      database.createObjectStore("scopes", { keyPath: "scope" });
      database.createObjectStore("meta", { keyPath: "key" });
    },
    blocking() {
      // A newer version of the app wants the database: let it have it.
      db?.close();
      db = undefined;
    },
  });
}

let opened: Promise<boolean> | undefined;

/** Opens the replica once; answers false (and the app runs from the network alone) if it cannot. */
export function openReplica(): Promise<boolean> {
  opened ??= openOnce();
  return opened;
}

async function openOnce(): Promise<boolean> {
  if (typeof indexedDB === "undefined") return false;
  try {
    db = await open();
  } catch (error) {
    // A store from a newer app (version error) or a broken one: start over.
    console.warn("The local replica could not be opened; rebuilding it", error);
    try {
      await deleteReplica();
      db = await open();
    } catch {
      db = undefined;
      return false;
    }
  }
  const [scopes, feed] = await Promise.all([db.getAll("scopes"), db.get("meta", "feedPosition")]);
  for (const { scope } of scopes) storedScopes.add(scope);
  storedFeedPosition = typeof feed?.value === "string" ? feed.value : undefined;
  return true;
}

/** Closes this tab's connection to the replica and stores nothing more (the user signed out). */
export async function closeReplica(): Promise<void> {
  await opened;
  opened = Promise.resolve(false);
  queue = [];
  db?.close();
  db = undefined;
  storedScopes.clear();
}

export async function deleteReplica(): Promise<void> {
  db?.close();
  db = undefined;
  storedScopes.clear();
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(storageNames.replicaDatabase());
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve();
  });
}

/** The feed position the stored rows are current to. */
export function replicaFeedPosition(): string | undefined {
  return storedFeedPosition;
}

/** The stored rows of a scope and the position of the snapshot they came from. */
export async function readScope(
  scope: string,
): Promise<{ rows: unknown[]; position: string | undefined } | undefined> {
  await openReplica();
  if (!db || !storedScopes.has(scope)) return undefined;
  try {
    const [rows, meta] = await Promise.all([
      db.getAllFromIndex("rows", "scope", scope),
      db.get("scopes", scope),
    ]);
    performance.mark("tandem:replica-read", { detail: { scope, rows: rows.length } });
    return { rows: rows.map((stored) => stored.row), position: meta?.position ?? undefined };
  } catch (error) {
    console.warn(`Reading ${scope} from the local replica failed`, error);
    return undefined;
  }
}

/** Whether the replica holds rows of this scope. */
export async function replicaHolds(scope: string): Promise<boolean> {
  await openReplica();
  return db !== undefined && storedScopes.has(scope);
}

/**
 * The rows of one window of a scope, oldest first: the newest `limit`, the newest
 * `limit` created before a time, or those created at one time. Read newest first with a
 * `prev` cursor on `(scope, createdAt)`, so its cost is the window's, not the scope's.
 * Undefined when the replica does not hold the scope.
 */
export async function readWindow(
  scope: string,
  bounds: WindowBounds,
  limit: number,
): Promise<unknown[] | undefined> {
  await openReplica();
  if (!db || !storedScopes.has(scope)) return undefined;
  try {
    // Queued writes first: a read must not miss a change already applied in this tab.
    if (queue.length > 0) void flush();
    const range =
      bounds.at !== undefined
        ? IDBKeyRange.only([scope, bounds.at])
        : IDBKeyRange.bound(
            [scope, ""],
            [scope, bounds.below ?? "\uffff"],
            false,
            bounds.below !== undefined,
          );
    const rows: unknown[] = [];
    let cursor = await db.transaction("rows").store.index("scopeTime").openCursor(range, "prev");
    while (cursor && rows.length < limit) {
      rows.push(cursor.value.row);
      cursor = await cursor.continue();
    }
    rows.reverse();
    performance.mark("tandem:replica-read", { detail: { scope, rows: rows.length } });
    return rows;
  } catch (error) {
    console.warn(`Reading ${scope} from the local replica failed`, error);
    return undefined;
  }
}

/**
 * Every stored message, scope by scope, until `visit` answers false: what offline search
 * reads (there is no index of words; the replica holds only what this browser has seen).
 */
export async function scanMessages(visit: (row: unknown) => boolean): Promise<void> {
  await openReplica();
  if (!db) return;
  if (queue.length > 0) await flush();
  const range = IDBKeyRange.bound(["messages:", ""], ["messages:\uffff", "\uffff"]);
  let cursor = await db.transaction("rows").store.openCursor(range);
  while (cursor) {
    if (!visit(cursor.value.row)) return;
    cursor = await cursor.continue();
  }
}

function enqueue(write: Write) {
  if (!db) return;
  queue.push(write);
  scheduleFlush();
}

export const replica = {
  put(scope: string, row: { id: string }) {
    if (storedScopes.has(scope)) enqueue({ type: "put", scope, id: row.id, row });
  },
  delete(scope: string, id: string) {
    if (storedScopes.has(scope)) enqueue({ type: "delete", scope, id });
  },
  /**
   * A window read from the server: its rows are stored, and the stored rows in its time
   * range that it does not hold are removed (deleted on the server), except `keep`: rows
   * the feed changed after the window was read.
   */
  window(
    scope: string,
    rows: Array<{ id: string; createdAt: string }>,
    range: WindowRange | undefined,
    keep: ReadonlySet<string>,
  ) {
    if (!db) return;
    storedScopes.add(scope);
    enqueue({ type: "window", scope, rows, range, keep });
  },
  /** A fresh snapshot of a scope replaces what is stored for it. */
  replace(scope: string, rows: Array<{ id: string }>, position: string | undefined) {
    if (!db) return;
    storedScopes.add(scope);
    enqueue({ type: "replace", scope, rows, position });
  },
  drop(scope: string) {
    if (!storedScopes.delete(scope)) return;
    enqueue({ type: "drop", scope });
  },
  /** Every change up to this position is in the writes queued so far. */
  feedPosition(position: string) {
    queuedFeedPosition = position;
    if (db) scheduleFlush();
  },
};

function scheduleFlush() {
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(() => void flush(), FLUSH_MS);
}

function stored(scope: string, id: string, row: unknown): StoredRow {
  const createdAt = (row as { createdAt?: unknown }).createdAt;
  return { scope, id, createdAt: typeof createdAt === "string" ? createdAt : "", row };
}

/** Writes the queued changes in one transaction, so the stored feed position never runs ahead of the rows. */
async function flush(): Promise<void> {
  flushScheduled = false;
  const database = db;
  const writes = queue;
  const position = queuedFeedPosition;
  queue = [];
  queuedFeedPosition = undefined;
  if (!database || (writes.length === 0 && position === undefined)) return;
  try {
    const tx = database.transaction(["rows", "scopes", "meta"], "readwrite");
    const rows = tx.objectStore("rows");
    const scopes = tx.objectStore("scopes");
    for (const write of writes) {
      if (write.type === "put") void rows.put(stored(write.scope, write.id, write.row));
      else if (write.type === "delete") void rows.delete([write.scope, write.id]);
      else if (write.type === "window") {
        if (write.range) {
          const { from, fromOpen, to, toOpen } = write.range;
          const held = new Set(write.rows.map((row) => row.id));
          const range = IDBKeyRange.bound([write.scope, from], [write.scope, to], fromOpen, toOpen);
          let cursor = await rows.index("scopeTime").openCursor(range);
          while (cursor) {
            const id = cursor.value.id;
            if (!held.has(id) && !write.keep.has(id)) void cursor.delete();
            cursor = await cursor.continue();
          }
        }
        for (const row of write.rows) void rows.put(stored(write.scope, row.id, row));
        void scopes.put({ scope: write.scope, position: null });
      } else {
        void rows.delete(IDBKeyRange.bound([write.scope, ""], [write.scope, "\uffff"]));
        if (write.type === "drop") void scopes.delete(write.scope);
        else {
          for (const row of write.rows) void rows.put(stored(write.scope, row.id, row));
          void scopes.put({ scope: write.scope, position: write.position ?? null });
        }
      }
    }
    if (position !== undefined) void tx.objectStore("meta").put({ key: "feedPosition", value: position });
    await tx.done;
    if (position !== undefined) storedFeedPosition = position;
  } catch (error) {
    console.warn("Saving to the local replica failed", error);
  }
}
