import type { Message, Project } from "@tandem/shared";

/**
 * The outbox's decisions, with no I/O: what a notice does to what a tab knows, which
 * writes go next, what counts as refused, how long to wait, which version a chained
 * rename is sent with, and how pending writes lie over the server's rows.
 */

/** A write a user made, as the outbox keeps it until the server has it. */
export type OutboxWrite =
  | { kind: "createProject"; project: Project }
  /** `before`: the row as it was, to put back if the server refuses (absent in entries stored by older builds). */
  | { kind: "updateProject"; project: Project; baseVersion: number; before?: Project }
  | { kind: "deleteProject"; project: Project }
  /** `edits`: the user message this one is a new version of (absent: a plain send, or a regenerate). */
  | { kind: "sendMessage"; message: Message; edits?: string };

/** One write in the outbox: `seq` (its place in the durable order) once it is stored. */
export interface OutboxEntry {
  id: string;
  seq?: number;
  write: OutboxWrite;
  attempts: number;
  error?: string;
}

/** What the server answered for a write: the stored row, or the row it removed. */
export type Delivered =
  | { entity: "project"; row: Project }
  | { entity: "project"; deleted: string }
  | { entity: "message"; row: Message };

/** What one tab tells the others (and itself) about the outbox. */
export type Notice =
  | { type: "enqueued"; entry: OutboxEntry }
  | { type: "stored"; id: string; seq: number }
  | { type: "attempted"; id: string; attempts: number; error: string }
  | { type: "delivered"; id: string; delivered: Delivered }
  | { type: "refused"; id: string; error: string; status: number; current?: unknown }
  | { type: "retry-now" };

/** What a tab does about a notice, besides updating what it knows. */
export type NoticeEffect =
  /** Show the write as the user made it. */
  | { type: "show"; write: OutboxWrite }
  /** Put the server's row in place of the user's. */
  | { type: "confirm"; delivered: Delivered }
  /** Undo the write and keep it as failed (with what the server holds now, for a conflict). */
  | { type: "roll-back"; write: OutboxWrite; error: string; status: number; current?: unknown }
  /** Look at the outbox again: something can be sent (`now`: without waiting for a backoff). */
  | { type: "wake"; now: boolean };

export function receiveNotice(
  entries: ReadonlyMap<string, OutboxEntry>,
  notice: Notice,
): { entries: ReadonlyMap<string, OutboxEntry>; effects: NoticeEffect[] } {
  switch (notice.type) {
    case "enqueued": {
      if (entries.has(notice.entry.id)) return { entries, effects: [] };
      const next = new Map(entries).set(notice.entry.id, notice.entry);
      return { entries: next, effects: [{ type: "show", write: notice.entry.write }] };
    }
    case "stored": {
      const entry = entries.get(notice.id);
      const next = entry ? new Map(entries).set(notice.id, { ...entry, seq: notice.seq }) : entries;
      return { entries: next, effects: [{ type: "wake", now: false }] };
    }
    case "attempted": {
      const entry = entries.get(notice.id);
      if (!entry) return { entries, effects: [] };
      const next = new Map(entries).set(notice.id, {
        ...entry,
        attempts: notice.attempts,
        error: notice.error,
      });
      return { entries: next, effects: [] };
    }
    case "delivered": {
      // A tab that never knew the write still takes the server's row.
      const next = new Map(entries);
      next.delete(notice.id);
      return { entries: next, effects: [{ type: "confirm", delivered: notice.delivered }] };
    }
    case "refused": {
      const entry = entries.get(notice.id);
      if (!entry) return { entries, effects: [] };
      const next = new Map(entries);
      next.delete(notice.id);
      const { error, status, current } = notice;
      return { entries: next, effects: [{ type: "roll-back", write: entry.write, error, status, current }] };
    }
    case "retry-now":
      return { entries, effects: [{ type: "wake", now: true }] };
  }
}

/** A user message sent after the branch it names, not an edit: the server decides where it goes. */
export function isPlainSend(
  write: OutboxWrite,
): write is Extract<OutboxWrite, { kind: "sendMessage" }> & { edits?: undefined } {
  return write.kind === "sendMessage" && write.message.role === "user" && write.edits === undefined;
}

/** The row a write is about. */
export function rowIdOf(write: OutboxWrite): string {
  return write.kind === "sendMessage" ? write.message.id : write.project.id;
}

/**
 * Writes are ordered per project (a project's creation before its messages, a rename
 * after its creation); writes in different projects never wait for each other.
 */
export function laneOf(write: OutboxWrite): string {
  return write.kind === "sendMessage" ? write.message.projectId : write.project.id;
}

/** The entries in the order they were made: stored ones by seq, then the ones still being stored. */
export function inOrder(entries: Iterable<OutboxEntry>): OutboxEntry[] {
  const all = [...entries];
  const stored = all.filter((entry) => entry.seq !== undefined).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return [...stored, ...all.filter((entry) => entry.seq === undefined)];
}

/** The first stored write of each lane: what can be sent now. */
export function nextPerLane<T extends { seq: number; write: OutboxWrite }>(stored: T[]): T[] {
  const heads = new Map<string, T>();
  for (const entry of [...stored].sort((a, b) => a.seq - b.seq)) {
    const lane = laneOf(entry.write);
    if (!heads.has(lane)) heads.set(lane, entry);
  }
  return [...heads.values()];
}

/** Answers that say "not now" rather than "no": the write is sent again later, as it is. */
const notNow = new Set([
  // A reply is still being written in the project.
  "generation_running",
  // The user already has as many replies running as they may (in any project).
  "generation_limit",
]);

/**
 * Refused for good: sending it again as it is would be refused again. A 401 is not a
 * refusal either: the session ended, and the write waits for the user to sign in again.
 */
export function isRefusal(status: number, code: string): boolean {
  return status >= 400 && status < 500 && status !== 401 && !notNow.has(code);
}

export const RETRY_MIN_MS = 1000;
export const RETRY_MAX_MS = 30_000;

/** How long a lane waits after a failed attempt: doubling from a second, at most half a minute. */
export function nextBackoff(previousMs: number | undefined): number {
  return previousMs === undefined ? RETRY_MIN_MS : Math.min(previousMs * 2, RETRY_MAX_MS);
}

/** The version our own accepted update moved a row from and to. */
export interface OwnVersion {
  from: number;
  to: number;
}

/**
 * The version an update is sent with. Renames made offline one after another were all
 * made from the same version; once the first is accepted, the next is sent from the
 * version it made, so a chain of our own edits does not conflict with itself.
 */
export function rebaseVersion(own: OwnVersion | undefined, baseVersion: number): number {
  return own && own.from === baseVersion ? own.to : baseVersion;
}

/**
 * The fields of a project a user edits (what an update sends and lays over the server's
 * row). `instructions` is absent in updates stored by builds before projects had them.
 */
export function projectEdits(project: Project): Pick<Project, "name" | "status" | "instructions"> {
  const edits = { name: project.name, status: project.status, instructions: project.instructions };
  if (edits.instructions === undefined) delete (edits as Partial<typeof edits>).instructions;
  return edits;
}

/**
 * A server row with this browser's pending writes to it laid over: a pending rename
 * keeps its name over a newer row, a pending delete hides the row (`undefined`).
 */
export function overlayPending<T extends { id: string }>(row: T, writes: OutboxWrite[]): T | undefined {
  let shown: T | undefined = row;
  for (const write of writes) {
    if (rowIdOf(write) !== row.id) continue;
    if (write.kind === "deleteProject") shown = undefined;
    else if (write.kind === "updateProject" && shown) shown = { ...shown, ...projectEdits(write.project) };
  }
  return shown;
}

/**
 * A snapshot (or window) of rows with this browser's pending writes in it: rows the
 * server does not hold yet are added as the user made them, pending edits and deletes
 * applied. A snapshot read before the server had a write never drops it.
 */
export function withPendingWrites<T extends { id: string }>(
  rows: T[],
  writes: OutboxWrite[],
  applies: (write: OutboxWrite) => boolean,
): T[] {
  const relevant = writes.filter(applies);
  if (relevant.length === 0) return rows;
  const held = new Set(rows.map((row) => row.id));
  const created = relevant.flatMap((write) => {
    const row =
      write.kind === "createProject"
        ? write.project
        : write.kind === "sendMessage"
          ? write.message
          : undefined;
    return row && !held.has(row.id) ? [row as unknown as T] : [];
  });
  return [...rows, ...created].flatMap((row) => overlayPending(row, relevant) ?? []);
}
