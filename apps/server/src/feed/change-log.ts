import type { Db, Tx } from "@tandem/db/client";
import {
  changeLog,
  changeLogTrim,
  type MessageRow,
  type NewChangeLogRow,
  type ProjectRow,
  type RunningProcessRow,
} from "@tandem/db/schema";
import type { ChangeEvent, ChangeOp } from "@tandem/shared";
import { asc, gt, lt, lte, max, sql } from "drizzle-orm";
import { toMessage, toProject, toRunningProcess } from "../rows.ts";
import { changeFrame } from "./frames.ts";

/** The channel writers NOTIFY (payload: the last position appended) and each instance LISTENs on. */
export const FEED_CHANNEL = "tandem_changes";

/** The transaction-level advisory lock that makes feed order equal commit order. */
const FEED_LOCK = 7_405_312;

/** A committed row, as one entry of the change log. */
export type Change =
  | { entity: "project"; op: ChangeOp; row: ProjectRow }
  | { entity: "message"; op: ChangeOp; row: MessageRow }
  | { entity: "running_process"; op: ChangeOp; row: RunningProcessRow };

/** Shorthands for building changes from the rows a statement returned. */
export const projectChanges = (op: ChangeOp, rows: ProjectRow[]): Change[] =>
  rows.map((row) => ({ entity: "project", op, row }));
export const messageChanges = (op: ChangeOp, rows: MessageRow[]): Change[] =>
  rows.map((row) => ({ entity: "message", op, row }));
export const processChanges = (op: ChangeOp, rows: RunningProcessRow[]): Change[] =>
  rows.map((row) => ({ entity: "running_process", op, row }));

/**
 * Appends the transaction's changes to the log, in the given order, and wakes every
 * instance's feed. Call it once, as the transaction's last statement: it takes a lock
 * that every other writer waits for until this transaction commits, so holding it
 * while waiting for row locks would deadlock with them.
 *
 * Why the lock: a sequence hands out numbers when rows are inserted, not when they
 * commit; without it, a transaction could take position 7, commit after another took
 * and committed 8, and a reader that already moved past 8 would never see 7. Holding
 * one lock from taking a position to commit makes positions follow commit order.
 *
 * Answers the last position appended, undefined when there was nothing to append.
 */
export async function appendChanges(tx: Tx, changes: readonly Change[]): Promise<bigint | undefined> {
  if (changes.length === 0) return undefined;
  await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(FEED_LOCK))})`);
  const appended = await tx
    .insert(changeLog)
    .values(changes.map(toLogRow))
    .returning({ position: changeLog.position });
  // One sequence, one statement: the rows took their positions in the order given.
  const last = appended.at(-1)?.position;
  await tx.execute(sql`select pg_notify(${FEED_CHANNEL}, ${String(last)})`);
  return last;
}

function toLogRow(change: Change): NewChangeLogRow {
  switch (change.entity) {
    case "project":
      return { ...change, id: change.row.id, projectId: change.row.id, row: { ...toProject(change.row) } };
    case "message":
      return {
        ...change,
        id: change.row.id,
        projectId: change.row.projectId,
        row: { ...toMessage(change.row) },
      };
    case "running_process":
      return {
        ...change,
        id: change.row.id,
        projectId: change.row.projectId,
        row: { ...toRunningProcess(change.row) },
      };
  }
}

/** One entry of the feed as it is sent: its position, the event, and its SSE frame. */
export interface FeedChange {
  position: bigint;
  event: ChangeEvent;
  frame: string;
}

type Reader = Db | Tx;

/**
 * The newest position a snapshot read in the same transaction is consistent with: the
 * last entry, or what trimming took when it took everything.
 */
export async function readHead(db: Reader): Promise<bigint> {
  const [head] = await db
    .select({
      position:
        sql`greatest(coalesce(max(${changeLog.position}), 0), coalesce((select max(${changeLogTrim.trimmedThrough}) from ${changeLogTrim}), 0))`.mapWith(
          BigInt,
        ),
    })
    .from(changeLog);
  return head?.position ?? 0n;
}

/** The highest position trimming has deleted (0 before any). */
export async function readTrimmedThrough(db: Reader): Promise<bigint> {
  const [trim] = await db
    .select({ through: sql`coalesce(max(${changeLogTrim.trimmedThrough}), 0)`.mapWith(BigInt) })
    .from(changeLogTrim);
  return trim?.through ?? 0n;
}

/**
 * Up to `limit` entries after `after`, in position order, and whether entries after
 * `after` were trimmed away (then these are not all there was: the reader must reset).
 * The trim mark is read after the entries, so a trim that raced this read is noticed.
 */
export async function readChangesAfter(
  db: Reader,
  after: bigint,
  limit: number,
): Promise<{ changes: FeedChange[]; trimmed: boolean }> {
  const rows = await db
    .select()
    .from(changeLog)
    .where(gt(changeLog.position, after))
    .orderBy(asc(changeLog.position))
    .limit(limit);
  const trimmed = (await readTrimmedThrough(db)) > after;
  return {
    trimmed,
    changes: rows.map((row) => {
      const event = {
        entity: row.entity,
        op: row.op,
        id: row.id,
        projectId: row.projectId,
        row: row.row,
      } as ChangeEvent;
      return { position: row.position, event, frame: changeFrame(row.position, event) };
    }),
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
