import type { Db, Tx } from "@tandem/db/client";
import {
  type ChangeLogRow,
  changeLog,
  changeLogTrim,
  type MessageRow,
  type ProjectRow,
  type RunningProcessRow,
} from "@tandem/db/schema";
import {
  type ChangeEvent,
  type ChangeOp,
  type Member,
  type MemberChange,
  type Message,
  sameJson,
  textParts,
} from "@tandem/shared";
import { lt, lte, max, type SQL, sql } from "drizzle-orm";
import { rowsOf, tableRows } from "../driver-rows.ts";
import { toMessage, toProject, toRunningProcess } from "../rows.ts";

import { changeFrame } from "./frames.ts";

/** The channel writers NOTIFY (payload: the last position appended) and each instance LISTENs on. */
export const FEED_CHANNEL = "tandem_changes";

/** A notification on FEED_CHANNEL that a session ended (signed out): this prefix, then the session's id. */
export const SESSION_ENDED = "session-ended:";

/** Tells every instance's feed that a session ended, so each ends the connections opened with it. */
export async function notifySessionEnded(db: Db, sessionId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${FEED_CHANNEL}, ${SESSION_ENDED + sessionId})`);
}

/** The transaction-level advisory lock that makes feed order equal commit order. */
const FEED_LOCK = 7_405_312;

/** A committed row, as one entry of the change log. */
export type Change =
  | { entity: "project"; op: ChangeOp; row: ProjectRow }
  | { entity: "message"; op: ChangeOp; row: MessageRow }
  | { entity: "running_process"; op: ChangeOp; row: RunningProcessRow }
  | { entity: "member"; op: ChangeOp; row: ProjectMember };

/** A membership as the log holds it: the member, and the project it is of. */
export type ProjectMember = Member & { projectId: string };

/** Shorthands for building changes from the rows a statement returned. */
export const projectChanges = (op: ChangeOp, rows: ProjectRow[]): Change[] =>
  rows.map((row) => ({ entity: "project", op, row }));
export const messageChanges = (op: ChangeOp, rows: MessageRow[]): Change[] =>
  rows.map((row) => ({ entity: "message", op, row }));
export const processChanges = (op: ChangeOp, rows: RunningProcessRow[]): Change[] =>
  rows.map((row) => ({ entity: "running_process", op, row }));
/**
 * Memberships given or taken. They go through the log like rows do, so every instance's
 * feed learns, in order with everything else, who may read which project from then on.
 */
export const memberChanges = (op: ChangeOp, rows: ProjectMember[]): Change[] =>
  rows.map((row) => ({ entity: "member", op, row }));

/** One entry of the log as written: the log's columns but its time. */
export type LogEntry = Pick<ChangeLogRow, "position" | "entity" | "op" | "id" | "projectId" | "row">;

/** What one append wrote. */
export interface Appended {
  /** The entries, in order, as the log holds them. */
  entries: LogEntry[];
  /**
   * The log's head when the append took the feed lock: no entry can commit between it and
   * these entries. Undefined when the transaction's snapshot is older than the lock
   * (repeatable read), so it could not be read.
   */
  follows: bigint | undefined;
}

/**
 * Appends the transaction's changes to the log, in the given order, and wakes every
 * instance's feed, in one call of `tandem_append_changes` (migrations 0003 and 0006: a
 * function, so its statements are planned once per connection). Call it once, as the
 * transaction's last statement: it takes a lock that every other writer waits for until
 * this transaction commits, so holding it while waiting for row locks would deadlock with them.
 *
 * Why the lock: a sequence hands out numbers when rows are inserted, not when they
 * commit; without it, a transaction could take position 7, commit after another took
 * and committed 8, and a reader that already moved past 8 would never see 7. Holding
 * one lock from taking a position to commit makes positions follow commit order.
 *
 * `replaces`: the entry of a reply's previous batch, which the last change (the same
 * message, newer) supersedes: that entry is moved to a new position with the new row,
 * one row write, so the log holds a streaming reply's text once, not once per batch.
 * A reader resuming anywhere before the new position still gets the row as stored;
 * what it no longer gets is only an older version of that row. When the old entry is
 * gone (trimmed), the change is appended as usual.
 *
 * Answers the last position appended, undefined when there was nothing to append.
 *
 * Writes go through `writeWithFeed`, which sends this statement with the COMMIT and hands
 * the changes to the feed. This runs it inside the transaction, where the lock is held
 * until the transaction ends: for tests of the log's order itself.
 */
export async function appendChanges(
  tx: Tx,
  changes: readonly Change[],
  options: AppendOptions = {},
): Promise<bigint | undefined> {
  const append = appendStatement(changes, options);
  if (!append) return undefined;
  return append.read(rowsOf(await tx.execute(append.statement))).entries.at(-1)?.position;
}

export interface AppendOptions {
  replaces?: { position: bigint; messageId: string } | undefined;
}

/**
 * The statement that appends `changes` (one call of `tandem_append_changes`), and how to
 * read its answer as what was appended; undefined when there is nothing to append.
 */
export function appendStatement(
  changes: readonly Change[],
  { replaces }: AppendOptions = {},
): { statement: SQL; read: (rows: readonly Record<string, unknown>[]) => Appended } | undefined {
  if (changes.length === 0) return undefined;
  const last = changes.at(-1);
  const moving =
    replaces && last?.entity === "message" && last.op === "upsert" && last.row.id === replaces.messageId;
  const rows = changes.map(toLogRow);
  const entries = JSON.stringify(rows.map(toLogEntry));
  return {
    statement: sql`select array_to_string(positions, ',') as positions, follows::text as follows from tandem_append_changes(${entries}::jsonb, ${moving ? String(replaces.position) : null}::bigint, ${FEED_LOCK}, ${FEED_CHANNEL})`,
    read: (answered) => {
      const [answer] = answered as { positions?: string; follows?: string | null }[];
      const positions = answer?.positions ? answer.positions.split(",").map(BigInt) : [];
      if (positions.length !== rows.length)
        throw new Error("The change log did not answer one position per change");
      return {
        entries: rows.map((row, i) => ({ ...row, position: positions[i] as bigint })),
        follows:
          answer?.follows === null || answer?.follows === undefined ? undefined : BigInt(answer.follows),
      };
    },
  };
}

/** A change as `tandem_append_changes` reads it: the log's columns, the row in the log's shape. */
function toLogEntry({ entity, op, id, projectId, row }: Omit<LogEntry, "position">) {
  return { entity, op, id, project_id: projectId, row };
}

function toLogRow(change: Change): Omit<LogEntry, "position"> {
  switch (change.entity) {
    case "project":
      return { ...change, id: change.row.id, projectId: change.row.id, row: { ...toProject(change.row) } };
    case "message":
      return {
        ...change,
        id: change.row.id,
        projectId: change.row.projectId,
        row: compactMessage(toMessage(change.row)),
      };
    case "running_process":
      return {
        ...change,
        id: change.row.id,
        projectId: change.row.projectId,
        row: { ...toRunningProcess(change.row) },
      };
    case "member": {
      const { projectId, ...member } = change.row;
      return { ...change, id: member.userId, projectId, row: member };
    }
  }
}

/**
 * A message as the log stores it: without its parts when they are only its text (a
 * plain message, a reply), which would otherwise store the text twice. `eventOf`
 * gives them back: the feed carries the API's wire shape.
 */
function compactMessage(message: Message): Record<string, unknown> {
  if (!sameJson(message.parts, textParts(message.content))) return { ...message };
  const { parts: _, ...rest } = message;
  return rest;
}

/** What the log holds, as the feed sends it: a row changed, or a membership. */
export type LogEvent = ChangeEvent | MemberChange;

/** A log entry as the feed sends it. A membership's id on the wire is `<projectId>:<userId>`. */
export function eventOf(row: Omit<LogEntry, "position">): LogEvent {
  const stored = row.row;
  if (row.entity === "member") {
    return {
      entity: "member",
      op: row.op,
      id: `${row.projectId}:${row.id}`,
      projectId: row.projectId,
      row: stored,
    } as LogEvent;
  }
  const wire =
    row.entity === "message" && stored.parts === undefined
      ? { ...stored, parts: textParts(String(stored.content)) }
      : stored;
  return { entity: row.entity, op: row.op, id: row.id, projectId: row.projectId, row: wire } as LogEvent;
}

/** One entry of the feed as it is sent: its position, the event, and its SSE frame. */
export interface FeedChange {
  position: bigint;
  event: LogEvent;
  /** Encoded once, shared by every connection that sends it. */
  frame: Uint8Array;
}

/** A log entry as the feed hands it out. */
export function feedChangeOf(entry: LogEntry): FeedChange {
  const event = eventOf(entry);
  return { position: entry.position, event, frame: changeFrame(entry.position, event) };
}

type Reader = Db | Tx;

const logRows = tableRows(changeLog);

/** The log's head: its newest entry, or what trimming took when it took everything. */
const HEAD = sql`greatest(coalesce((select max("position") from ${changeLog}), 0), coalesce((select max("trimmed_through") from ${changeLogTrim}), 0))`;

/** The highest position trimming has deleted (0 before any). */
const TRIMMED_THROUGH = sql`coalesce((select max("trimmed_through") from ${changeLogTrim}), 0)`;

// The reads below run for every list and feed connection, and on every wake of the hub:
// they are written as plain `sql` (see driver-rows.ts), with bigints as text for both drivers.

/**
 * The newest position a snapshot read in the same transaction is consistent with: the
 * last entry, or what trimming took when it took everything.
 */
export async function readHead(db: Reader): Promise<bigint> {
  const [row] = rowsOf<{ head: string }>(await db.execute(sql`select ${HEAD}::text as head`));
  return BigInt(row?.head ?? 0);
}

/** The highest position trimming has deleted (0 before any). */
export async function readTrimmedThrough(db: Reader): Promise<bigint> {
  const [row] = rowsOf<{ through: string }>(
    await db.execute(sql`select ${TRIMMED_THROUGH}::text as through`),
  );
  return BigInt(row?.through ?? 0);
}

/**
 * Up to `limit` entries after `after`, in position order, and whether entries after
 * `after` were trimmed away (then these are not all there was: the reader must reset).
 * One statement when there are entries: the trim mark comes with them, from the same
 * snapshot. With none, the mark is read after, so a trim that raced the read is noticed.
 */
export async function readChangesAfter(
  db: Reader,
  after: bigint,
  limit: number,
): Promise<{ changes: FeedChange[]; trimmed: boolean }> {
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(
      sql`select ${logRows.columnList}, ${TRIMMED_THROUGH}::text as trimmed_through from ${changeLog} where "position" > ${String(after)}::bigint order by "position" limit ${limit}`,
    ),
  );
  const first = rows[0];
  const trimmedThrough =
    first === undefined ? await readTrimmedThrough(db) : BigInt(String(first.trimmed_through));
  return {
    trimmed: trimmedThrough > after,
    changes: rows.map((row) => feedChangeOf(logRows.fromDriver(row))),
  };
}

/**
 * Deletes the entries older than `olderThanMs`, as a prefix of the log (up to the newest
 * old one, so what is left has no holes), and records how far it went.
 */
export function trimChangeLog(db: Db, olderThanMs: number): Promise<bigint | undefined> {
  return db.transaction(async (tx) => {
    const [boundary] = await tx
      .select({ through: max(changeLog.position) })
      .from(changeLog)
      .where(lt(changeLog.at, sql`now() - ${olderThanMs}::double precision * interval '1 millisecond'`));
    const through = boundary?.through;
    if (through === null || through === undefined) return undefined;
    await tx.delete(changeLog).where(lte(changeLog.position, through));
    await tx
      .insert(changeLogTrim)
      .values({ one: true, trimmedThrough: through })
      .onConflictDoUpdate({
        target: changeLogTrim.one,
        set: { trimmedThrough: sql`greatest(${changeLogTrim.trimmedThrough}, excluded.trimmed_through)` },
      });
    return through;
  });
}
