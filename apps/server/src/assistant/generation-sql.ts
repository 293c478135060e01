import { randomUUID } from "node:crypto";
import type { Db, Tx } from "@tandem/db/client";
import {
  chatUsage,
  type MessageRow,
  messages,
  projects,
  type RunningProcessRow,
  runningProcesses,
} from "@tandem/db/schema";
import { type MessagePart, type MessageStatus, type RunningProcessStatus, textParts } from "@tandem/shared";
import { and, eq, ne, notExists, type SQL, sql } from "drizzle-orm";
import { requireMember, roleIn, visibleMessage } from "../access.ts";
import { messageRows, rowsOf } from "../driver-rows.ts";
import { type Change, messageChanges, processChanges } from "../feed/change-log.ts";
import type { FeedHub } from "../feed/hub.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import { firstAnswer, insertMessage, requireParent } from "../insert-message.ts";
import { toMessage } from "../rows.ts";
import { lockTreeAsMember } from "../tree-lock.ts";

/**
 * The database side of a generation: every statement the assistant runs, one transaction
 * per step, each appending the rows it changed to the change log as its last statement
 * (`writeWithFeed`, which hands them to this instance's feed once committed).
 */

export type EndStatus = Exclude<MessageStatus, "streaming">;

const processStatusOf: Record<EndStatus, RunningProcessStatus> = {
  complete: "completed",
  stopped: "stopped",
  error: "failed",
  interrupted: "interrupted",
};

/** What an interrupted reply says about itself, in its `error` column. */
export const INTERRUPTED_ERROR = "The server writing this reply stopped before it was finished.";

/** The text parts of a reply: none while it has no text. */
export const replyParts = (text: string): MessagePart[] => (text === "" ? [] : textParts(text));

/** A time after message `id`'s creation, even within its transaction (where now() does not move). */
const after = (id: string) =>
  sql`greatest(clock_timestamp(), (select m.created_at from ${messages} m where m.id = ${id}) + interval '1 microsecond')`;

export interface NewGeneration {
  reply: MessageRow;
  process: RunningProcessRow;
}

export interface ChatTurn {
  /** Where the user's message goes (see NewMessage.parentId). */
  parentId?: string | null | undefined;
  /** The user message it is a new version of (see NewMessage.edits). */
  edits?: string | undefined;
  content: string;
  parts: MessagePart[];
  projectId: string;
  messageId: string;
}

export interface GenerationOwner {
  model: string;
  instanceId: string;
  staleMs: number;
}

/** Who asks for a generation, and how many they may have. */
export interface GenerationRequester {
  userId: string;
  /** Generations one user may have running at once. */
  maxRunning: number;
  /** Generations one user may start per UTC day. */
  dailyLimit: number;
}

export type BeginChatResult =
  | ({ kind: "started"; user?: MessageRow } & NewGeneration)
  /** The user message was stored and answered before: this is a retry of the same request. */
  | { kind: "answered"; user?: MessageRow; reply: MessageRow };

/** Another reply to a user message (regenerate): `id` is the new reply's, made by the client. */
export interface RegenerateTurn {
  projectId: string;
  id: string;
  parentId: string;
}

/**
 * Stores the user's message (idempotent on its id), and unless it already has a reply,
 * creates the assistant message and its running process: all in one transaction.
 */
export async function beginChat(
  db: Db,
  feed: FeedHub | undefined,
  turn: ChatTurn,
  owner: GenerationOwner,
  requester: GenerationRequester,
): Promise<BeginChatResult> {
  const { result } = await writeWithFeed(db, feed, async (tx, append): Promise<BeginChatResult> => {
    const tree = await lockTreeAsMember(tx, turn.projectId, requester.userId);
    const { created, row: user } = await insertMessage(
      tx,
      tree,
      {
        id: turn.messageId,
        projectId: turn.projectId,
        parentId: turn.parentId,
        edits: turn.edits,
        role: "user",
        content: turn.content,
        parts: turn.parts,
      },
      requester.userId,
      { parentId: "message.parentId", edits: "message.edits" },
    );
    const changes: Change[] = created ? messageChanges("upsert", [user]) : [];
    if (!created) {
      // The same turn again: answered already if it has a reply (its first version).
      const first = await firstAnswer(tx, user.id);
      if (first) return { kind: "answered", user, reply: first };
    }
    const started = await startReply(
      tx,
      { projectId: turn.projectId, id: randomUUID(), parentId: user.id },
      owner,
      requester,
    );
    append([...changes, ...started.changes]);
    return { kind: "started", user, reply: started.reply, process: started.process };
  });
  return result;
}

/**
 * Regenerate: a new reply to the user message `turn.parentId`, beside the replies it has
 * (nothing is overwritten). Idempotent on the new reply's id: the same request again
 * answers that reply; the id taken by anything else is 409 duplicate_id.
 */
export async function beginRegenerate(
  db: Db,
  feed: FeedHub | undefined,
  turn: RegenerateTurn,
  owner: GenerationOwner,
  requester: GenerationRequester,
): Promise<BeginChatResult> {
  const { result } = await writeWithFeed(db, feed, async (tx, append): Promise<BeginChatResult> => {
    await requireMember(tx, turn.projectId, requester.userId);
    const [taken] = await tx.select().from(messages).where(eq(messages.id, turn.id));
    if (taken) {
      if (
        taken.projectId === turn.projectId &&
        taken.role === "assistant" &&
        taken.parentId === turn.parentId
      ) {
        return { kind: "answered", reply: taken };
      }
      const visible =
        taken.projectId === turn.projectId || (await roleIn(tx, taken.projectId, requester.userId));
      throw new ApiError("duplicate_id", `The id ${turn.id} is taken: regenerate with a new id`, {
        current: visible ? toMessage(taken) : undefined,
      });
    }
    await requireParent(tx, turn.projectId, turn.parentId, "regenerate.parentId", "user");
    const started = await startReply(tx, turn, owner, requester);
    append(started.changes);
    return { kind: "started", reply: started.reply, process: started.process };
  });
  return result;
}

/**
 * Creates a reply (empty, streaming, timed after its parent and so after the versions
 * before it) and its running process, after the checks every reply passes: no other
 * generation in the project, the requester's limits. Answers the changes to append.
 */
async function startReply(
  tx: Tx,
  turn: RegenerateTurn,
  owner: GenerationOwner,
  requester: GenerationRequester,
): Promise<NewGeneration & { changes: Change[] }> {
  const interrupted = await ensureNoGeneration(tx, turn.projectId, owner.staleMs);
  await chargeGeneration(tx, requester, owner.staleMs);
  const [reply] = await tx
    .insert(messages)
    .values({
      id: turn.id,
      projectId: turn.projectId,
      parentId: turn.parentId,
      role: "assistant",
      content: "",
      parts: [],
      status: "streaming",
      createdAt: after(turn.parentId),
      updatedAt: after(turn.parentId),
    })
    .returning();
  if (!reply) throw new Error("The assistant message was not created");
  const process = await insertProcess(tx, reply, owner, requester.userId);
  return {
    reply,
    process,
    changes: [...interrupted, ...messageChanges("upsert", [reply]), ...processChanges("upsert", [process])],
  };
}

/** Resets an ended assistant message to an empty, streaming one with a new running process. */
export async function beginRetry(
  db: Db,
  feed: FeedHub | undefined,
  messageId: string,
  owner: GenerationOwner,
  requester: GenerationRequester,
): Promise<NewGeneration> {
  const { result } = await writeWithFeed(db, feed, async (tx, append) => {
    const message = await visibleMessage(tx, messageId, requester.userId, { forUpdate: true });
    if (message.role !== "assistant") {
      throw new ApiError("invalid_input", `Message ${messageId} is not an assistant message`, {
        details: [
          { path: "messageId", message: "is not an assistant message: only replies can be regenerated" },
        ],
      });
    }
    if (message.status === "streaming") {
      throw new ApiError("generation_running", `Message ${messageId} is still being written`, {
        current: toMessage(message),
      });
    }
    const interrupted = await ensureNoGeneration(tx, message.projectId, owner.staleMs);
    await chargeGeneration(tx, requester, owner.staleMs);
    const [reply] = await tx
      .update(messages)
      .set({
        content: "",
        parts: [],
        status: "streaming",
        error: null,
        version: sql`${messages.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(eq(messages.id, messageId))
      .returning();
    if (!reply) throw notFound("Message", messageId);
    const process = await insertProcess(tx, reply, owner, requester.userId);
    append([...interrupted, ...messageChanges("upsert", [reply]), ...processChanges("upsert", [process])]);
    return { reply, process };
  });
  return result;
}

/**
 * 409 generation_running when the project has a live generation. A dead one is
 * interrupted first: answers those changes, for the caller to append with its own.
 */
async function ensureNoGeneration(tx: Tx, projectId: string, staleMs: number): Promise<Change[]> {
  const interrupted = await interruptStaleIn(tx, { staleMs, projectId });
  const [running] = await tx
    .select({ message: messages })
    .from(runningProcesses)
    .innerJoin(messages, eq(messages.id, runningProcesses.messageId))
    .where(and(eq(runningProcesses.projectId, projectId), eq(runningProcesses.status, "running")))
    .limit(1);
  if (running) throw generationRunning(projectId, running.message);
  return interrupted;
}

export function generationRunning(projectId: string, current?: MessageRow) {
  return new ApiError(
    "generation_running",
    `A reply is already being written in project ${projectId}: wait for it to finish, or stop it, before sending another message`,
    { current: current && toMessage(current) },
  );
}

/**
 * Counts a generation against the user's limits, in the transaction that starts it, so
 * the limits hold across instances: the day's count is one upsert, whose row lock also
 * makes the user's concurrent starts wait for each other while their running
 * generations are counted. 429 generation_limit / daily_limit; the transaction then
 * rolls back, count included.
 */
async function chargeGeneration(tx: Tx, requester: GenerationRequester, staleMs: number): Promise<void> {
  const today = sql`(now() at time zone 'utc')::date`;
  const [usage] = await tx
    .insert(chatUsage)
    .values({ userId: requester.userId, day: today, replies: 1 })
    .onConflictDoUpdate({
      target: [chatUsage.userId, chatUsage.day],
      set: { replies: sql`${chatUsage.replies} + 1` },
    })
    .returning({
      replies: chatUsage.replies,
      secondsToMidnight: sql<string>`ceil(extract(epoch from (date_trunc('day', now() at time zone 'utc') + interval '1 day' - (now() at time zone 'utc'))))`,
    });
  const running = await tx.$count(
    runningProcesses,
    and(
      eq(runningProcesses.userId, requester.userId),
      eq(runningProcesses.status, "running"),
      sql`${runningProcesses.heartbeatAt} >= now() - (${staleMs}::integer * interval '1 millisecond')`,
    ),
  );
  if (running >= requester.maxRunning) {
    throw new ApiError(
      "generation_limit",
      `You have ${running} replies being written already (at most ${requester.maxRunning} at once): wait for one to finish, or stop one`,
    );
  }
  if (usage && usage.replies > requester.dailyLimit) {
    throw new ApiError(
      "daily_limit",
      `You have had ${requester.dailyLimit} replies today, the most a day (UTC): more tomorrow`,
      { retryAfterSeconds: Math.max(1, Number(usage.secondsToMidnight)) },
    );
  }
}

async function insertProcess(tx: Tx, reply: MessageRow, owner: GenerationOwner, userId: string) {
  const [process] = await tx
    .insert(runningProcesses)
    .values({
      id: randomUUID(),
      userId,
      projectId: reply.projectId,
      messageId: reply.id,
      model: owner.model,
      instanceId: owner.instanceId,
    })
    .returning();
  if (!process) throw new Error("The running process was not created");
  return process;
}

export const HISTORY_MAX = 50;

/**
 * What the model is told: the branch `reply` follows (its parent, the parent's parent, …),
 * oldest first, at most HISTORY_MAX messages back; other versions are not on it.
 */
export async function branchBefore(db: Db, reply: MessageRow): Promise<MessageRow[]> {
  if (!reply.parentId) return [];
  const result = await db.execute(sql`
    with recursive branch as (
      select m.*, 1 as depth from ${messages} m where m.id = ${reply.parentId}
      union all
      select m.*, b.depth + 1 from ${messages} m join branch b on m.id = b.parent_id where b.depth < ${HISTORY_MAX}
    )
    select ${messageRows.columnList} from branch
    where content <> '' and status <> 'streaming'
    order by depth desc`);
  return rowsOf<Record<string, unknown>>(result).map(messageRows.fromDriver);
}

/** The project's instructions ("" for none): the model's system message in its replies. */
export async function projectInstructions(db: Db, projectId: string): Promise<string> {
  const [row] = await db
    .select({ instructions: projects.instructions })
    .from(projects)
    .where(eq(projects.id, projectId));
  return row?.instructions ?? "";
}

const stillRunning = (processId: string) =>
  sql`exists (select 1 from ${runningProcesses} rp where rp.id = ${processId} and rp.status = 'running')`;

/** A reply being written by this process, as far as it has got. */
export interface ReplyProgress {
  id: string;
  processId: string;
  text: string;
  /** The log entry of the previous batch, which this write's entry replaces. */
  logged?: bigint | undefined;
}

/**
 * A batch of text for a reply still being written by this process: the row, and the
 * position of its log entry (which replaces the previous batch's, so the log holds the
 * reply's text once). Undefined if it is no longer being written.
 */
export async function writeProgress(
  db: Db,
  feed: FeedHub | undefined,
  reply: ReplyProgress,
): Promise<{ row: MessageRow; logged: bigint | undefined } | undefined> {
  const { result: row, position } = await writeWithFeed(db, feed, async (tx, append) => {
    const [row] = await tx
      .update(messages)
      .set({
        content: reply.text,
        parts: replyParts(reply.text),
        version: sql`${messages.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(messages.id, reply.id), eq(messages.status, "streaming"), stillRunning(reply.processId)))
      .returning();
    if (!row) return undefined;
    append(messageChanges("upsert", [row]), { replaces: replacing(reply) });
    return row;
  });
  return row && { row, logged: position };
}

const replacing = ({ id, logged }: ReplyProgress) =>
  logged === undefined ? undefined : { position: logged, messageId: id };

/**
 * The heartbeat: false when the process is no longer running (stopped or interrupted
 * elsewhere, or deleted). Not on the change feed: nobody reads a heartbeat but the sweeper.
 */
export async function beat(db: Db, processId: string): Promise<boolean> {
  const alive = await db
    .update(runningProcesses)
    .set({ heartbeatAt: sql`now()` })
    .where(and(eq(runningProcesses.id, processId), eq(runningProcesses.status, "running")))
    .returning({ id: runningProcesses.id });
  return alive.length > 0;
}

export interface Ending {
  status: EndStatus;
  error: string | null;
  usage?: Record<string, unknown> | undefined;
}

/**
 * Writes a generation's end: its process, and its message with the full text (its log
 * entry replacing the last batch's). When another
 * instance already ended the process (stop, interrupt), that status wins and the fuller
 * text is written with it. Answers the final row (undefined if the message is gone) and
 * the status it ended with.
 */
export async function finishGeneration(
  db: Db,
  feed: FeedHub | undefined,
  reply: ReplyProgress,
  ending: Ending,
): Promise<{ row: MessageRow | undefined; ending: Ending }> {
  const { result } = await writeWithFeed(db, feed, async (tx, append) => {
    const [ended] = await tx
      .update(runningProcesses)
      .set({
        status: processStatusOf[ending.status],
        finishedAt: sql`now()`,
        usage: ending.usage ?? null,
        error: ending.error,
      })
      .where(and(eq(runningProcesses.id, reply.processId), eq(runningProcesses.status, "running")))
      .returning();
    let final = ending;
    if (!ended) {
      const [process] = await tx
        .select()
        .from(runningProcesses)
        .where(eq(runningProcesses.id, reply.processId));
      if (!process) return { row: undefined, ending };
      final =
        process.status === "interrupted"
          ? { status: "interrupted", error: process.error ?? INTERRUPTED_ERROR }
          : { status: "stopped", error: null };
    }
    const [row] = await tx
      .update(messages)
      .set({
        content: reply.text,
        parts: replyParts(reply.text),
        status: final.status,
        error: final.error,
        version: sql`${messages.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(messages.id, reply.id),
          // A retry started meanwhile owns the row now.
          notExists(
            tx
              .select({ id: runningProcesses.id })
              .from(runningProcesses)
              .where(
                and(
                  eq(runningProcesses.messageId, reply.id),
                  eq(runningProcesses.status, "running"),
                  ne(runningProcesses.id, reply.processId),
                ),
              ),
          ),
        ),
      )
      .returning();
    // The message's entry comes last; it replaces the last batch's.
    append(
      [...processChanges("upsert", ended ? [ended] : []), ...messageChanges("upsert", row ? [row] : [])],
      { replaces: row ? replacing(reply) : undefined },
    );
    return { row, ending: final };
  });
  return result;
}

/**
 * Stops a generation this instance does not run: the process and the message are marked
 * stopped together (with the text of the last batch); the owner sees it at its next
 * heartbeat and writes its fuller text. 404 unknown, 409 not_streaming.
 */
export async function stopElsewhere(
  db: Db,
  feed: FeedHub | undefined,
  messageId: string,
): Promise<MessageRow> {
  const { result } = await writeWithFeed(db, feed, async (tx, append) => {
    const [message] = await tx.select().from(messages).where(eq(messages.id, messageId)).for("update");
    if (!message) throw notFound("Message", messageId);
    if (message.status !== "streaming") throw notStreaming(message);
    const processes = await tx
      .update(runningProcesses)
      .set({ status: "stopped", finishedAt: sql`now()` })
      .where(and(eq(runningProcesses.messageId, messageId), eq(runningProcesses.status, "running")))
      .returning();
    const [stopped] = await tx
      .update(messages)
      .set({ status: "stopped", version: sql`${messages.version} + 1`, updatedAt: sql`now()` })
      .where(eq(messages.id, messageId))
      .returning();
    if (!stopped) throw notFound("Message", messageId);
    append([...processChanges("upsert", processes), ...messageChanges("upsert", [stopped])]);
    return stopped;
  });
  return result;
}

export function notStreaming(message: MessageRow) {
  return new ApiError(
    "not_streaming",
    `Message ${message.id} is not being written (it is ${message.status})`,
    {
      current: toMessage(message),
    },
  );
}

/**
 * Marks running processes whose heartbeat is older than `staleMs` (all of them with
 * "all") as interrupted, and every reply still streaming without a running process as
 * interrupted too, keeping its text. Answers the ids of the replies it interrupted.
 */
export async function interruptStale(
  db: Db,
  feed: FeedHub | undefined,
  staleness: Staleness,
): Promise<string[]> {
  const { result } = await writeWithFeed(db, feed, async (tx, append) => {
    const changes = await interruptStaleIn(tx, staleness);
    append(changes);
    return changes.flatMap((change) => (change.entity === "message" ? [change.row.id] : []));
  });
  return result;
}

interface Staleness {
  staleMs: number | "all";
  projectId?: string | undefined;
  /**
   * This instance's id: its own processes are never taken for dead. It knows they run,
   * and a heartbeat late because its event loop was busy (a loaded machine) must not cut
   * a live reply short.
   */
  exceptInstance?: string | undefined;
}

/** Does what `interruptStale` says; answers the rows it changed, for the caller to append. */
async function interruptStaleIn(
  tx: Tx,
  { staleMs, projectId, exceptInstance }: Staleness,
): Promise<Change[]> {
  const inProject = (
    column: typeof runningProcesses.projectId | typeof messages.projectId,
  ): SQL | undefined => (projectId ? eq(column, projectId) : undefined);
  const stale =
    staleMs === "all"
      ? undefined
      : sql`${runningProcesses.heartbeatAt} < now() - (${staleMs}::integer * interval '1 millisecond')`;
  const processes = await tx
    .update(runningProcesses)
    .set({ status: "interrupted", finishedAt: sql`now()`, error: INTERRUPTED_ERROR })
    .where(
      and(
        eq(runningProcesses.status, "running"),
        inProject(runningProcesses.projectId),
        stale,
        exceptInstance === undefined ? undefined : ne(runningProcesses.instanceId, exceptInstance),
      ),
    )
    .returning();
  const interrupted = await tx
    .update(messages)
    .set({
      status: "interrupted",
      error: INTERRUPTED_ERROR,
      version: sql`${messages.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(messages.status, "streaming"),
        inProject(messages.projectId),
        sql`not exists (select 1 from ${runningProcesses} rp where rp.message_id = ${messages.id} and rp.status = 'running')`,
      ),
    )
    .returning();
  return [...processChanges("upsert", processes), ...messageChanges("upsert", interrupted)];
}

export async function readMessage(db: Db, id: string): Promise<MessageRow | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.id, id));
  return row;
}
