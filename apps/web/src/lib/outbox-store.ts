import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { OutboxEntry, OutboxWrite } from "./outbox-rules.ts";
import { storageNames } from "./storage-names.ts";

/**
 * The durable outbox: writes made here and not yet accepted by the server, in the
 * order they were made (`seq`). It lives in its own database, apart from the replica,
 * so rebuilding the replica can never lose unsent work.
 */
export type StoredEntry = OutboxEntry & { seq: number };

/** As kept on disk; builds before the per-write id kept the write under `entry`. */
interface Record {
  seq?: number;
  id?: string;
  write?: OutboxWrite;
  entry?: OutboxWrite;
  attempts: number;
  error?: string;
}

interface OutboxSchema extends DBSchema {
  entries: { key: number; value: Record };
}

let opened: Promise<IDBPDatabase<OutboxSchema> | undefined> | undefined;

function database(): Promise<IDBPDatabase<OutboxSchema> | undefined> {
  opened ??= openDB<OutboxSchema>(storageNames.outboxDatabase(), 1, {
    upgrade(db) {
      db.createObjectStore("entries", { keyPath: "seq", autoIncrement: true });
    },
  }).catch((error: unknown) => {
    console.warn("The outbox could not be opened; writes are kept in memory only", error);
    return undefined;
  });
  return opened;
}

/** Closes this tab's connection to the outbox's database (it is about to be deleted), for good. */
export async function closeOutboxStore(): Promise<void> {
  const db = await opened;
  db?.close();
  opened = Promise.resolve(undefined);
}

function fromRecord(record: Record & { seq: number }): StoredEntry | undefined {
  const write = record.write ?? record.entry;
  if (!write) return undefined;
  return {
    id: record.id ?? `seq-${record.seq}`,
    seq: record.seq,
    write,
    attempts: record.attempts,
    ...(record.error === undefined ? {} : { error: record.error }),
  };
}

/** Held in memory too: without IndexedDB the outbox still works until the tab closes. */
let memorySeq = 0;
const memory = new Map<number, Record & { seq: number }>();

export const outboxStore = {
  /** Stores a new write; answers its place in the order. */
  async add(entry: OutboxEntry): Promise<number> {
    const db = await database();
    const record: Record = { id: entry.id, write: entry.write, attempts: 0 };
    if (!db) {
      const seq = ++memorySeq;
      memory.set(seq, { ...record, seq });
      return seq;
    }
    return db.add("entries", record);
  },
  async all(): Promise<StoredEntry[]> {
    const db = await database();
    const records = (db ? await db.getAll("entries") : [...memory.values()]) as Array<
      Record & { seq: number }
    >;
    return records
      .map(fromRecord)
      .filter((entry) => entry !== undefined)
      .sort((a, b) => a.seq - b.seq);
  },
  async put(entry: StoredEntry): Promise<void> {
    const db = await database();
    const record: Record & { seq: number } = {
      seq: entry.seq,
      id: entry.id,
      write: entry.write,
      attempts: entry.attempts,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    };
    if (db) await db.put("entries", record);
    else memory.set(entry.seq, record);
  },
  async remove(seq: number): Promise<void> {
    const db = await database();
    if (db) await db.delete("entries", seq);
    else memory.delete(seq);
  },
};
