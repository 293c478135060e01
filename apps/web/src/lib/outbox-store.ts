import { type DBSchema, type IDBPDatabase, openDB } from "idb";

/**
 * The durable outbox: writes made here and not yet accepted by the server, in the
 * order they were made. It lives in its own database, apart from the replica, so
 * rebuilding the replica can never lose unsent work.
 */
export interface StoredEntry<T = unknown> {
  seq?: number;
  entry: T;
  attempts: number;
  error?: string;
}

interface OutboxSchema extends DBSchema {
  entries: { key: number; value: StoredEntry };
}

let opened: Promise<IDBPDatabase<OutboxSchema> | undefined> | undefined;

function database(): Promise<IDBPDatabase<OutboxSchema> | undefined> {
  opened ??= openDB<OutboxSchema>("tandem-outbox", 1, {
    upgrade(db) {
      db.createObjectStore("entries", { keyPath: "seq", autoIncrement: true });
    },
  }).catch((error: unknown) => {
    console.warn("The outbox could not be opened; writes are kept in memory only", error);
    return undefined;
  });
  return opened;
}

/** Held in memory too: without IndexedDB the outbox still works until the tab closes. */
let memorySeq = 0;
const memory = new Map<number, StoredEntry>();

export const outboxStore = {
  async add<T>(entry: T): Promise<number> {
    const db = await database();
    const stored: StoredEntry = { entry, attempts: 0 };
    if (!db) {
      const seq = ++memorySeq;
      memory.set(seq, { ...stored, seq });
      return seq;
    }
    return db.add("entries", stored);
  },
  async all<T>(): Promise<Array<StoredEntry<T> & { seq: number }>> {
    const db = await database();
    const entries = db ? await db.getAll("entries") : [...memory.values()];
    return (entries as Array<StoredEntry<T> & { seq: number }>).sort((a, b) => a.seq - b.seq);
  },
  async put(stored: StoredEntry & { seq: number }): Promise<void> {
    const db = await database();
    if (db) await db.put("entries", stored);
    else memory.set(stored.seq, stored);
  },
  async remove(seq: number): Promise<void> {
    const db = await database();
    if (db) await db.delete("entries", seq);
    else memory.delete(seq);
  },
};
