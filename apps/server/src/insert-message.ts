import type { Tx } from "@tandem/db/client";
import { type MessageRow, messages } from "@tandem/db/schema";
import { type MessagePart, sameJson } from "@tandem/shared";
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { roleIn } from "./access.ts";
import { messageRows, rowsOf } from "./driver-rows.ts";
import { ApiError } from "./http/api-error.ts";
import { toMessage } from "./rows.ts";
import type { LockedTree } from "./tree-lock.ts";

/** A message a client sends (POST /api/messages, or the user's turn of POST /api/chat). */
export interface NewMessage {
  id: string;
  projectId: string;
  role: "user";
  content: string;
  parts: MessagePart[];
  /**
   * Where the client last saw the branch end (null: before the first message). A plain
   * send goes after the newest message of the branch that continues from there; left
   * out, after the project's newest message. See `placeSend`.
   */
  parentId?: string | null | undefined;
  /** The user message this one is a new version of (an edit): it goes beside it, with its parent. */
  edits?: string | undefined;
}

/** The names of the body's fields, for the 400's `details` paths. */
export interface MessageFields {
  parentId: string;
  edits: string;
}

const bodyFields: MessageFields = { parentId: "parentId", edits: "edits" };

const invalid = (path: string, message: string) =>
  new ApiError("invalid_input", "The request body is not valid", { details: [{ path, message }] });

/**
 * 400 unless `parentId` is a message of the project: a branch never crosses projects,
 * and an id the caller cannot see answers the same as one nobody holds. `role`, when
 * given, is the role the parent must have. Answers the parent.
 */
export async function requireParent(
  tx: Tx,
  projectId: string,
  parentId: string,
  field: string,
  role?: MessageRow["role"],
): Promise<MessageRow> {
  const [parent] = await tx.select().from(messages).where(eq(messages.id, parentId));
  if (parent?.projectId === projectId && (role === undefined || parent.role === role)) return parent;
  const why =
    parent?.projectId === projectId
      ? `is not a ${role} message: only a user message can be answered`
      : "is not a message of this project";
  throw invalid(field, why);
}

/** A user message's first reply (its first version), if it has one. */
export async function firstAnswer(tx: Tx, userMessageId: string): Promise<MessageRow | undefined> {
  const [answer] = await tx
    .select()
    .from(messages)
    .where(and(eq(messages.parentId, userMessageId), eq(messages.role, "assistant")))
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(1);
  return answer;
}

/**
 * Where a plain send goes, under the project's tree lock: after `parentId` if nothing
 * follows it yet; otherwise after the newest message of the branch that continues from
 * it (its newest child, that one's newest child, … to the end), which is what a chat with
 * no versions reads as "after". So a send that named a parent others have answered or
 * gone on from since (sent at the same moment, or queued offline) goes at the end, and
 * only an edit (`edits`) ever makes a version. `null` starts from the newest first
 * message. Answers the parent to store (null: the project has no message yet). 400 when
 * `parentId` is not a message of the project.
 */
async function placeSend(
  tx: Tx,
  projectId: string,
  parentId: string | null,
  field: string,
): Promise<string | null> {
  const start =
    parentId === null
      ? sql`select m.id, m.project_id from ${messages} m where m.project_id = ${projectId} and m.parent_id is null order by m.created_at desc, m.id desc limit 1`
      : sql`select m.id, m.project_id from ${messages} m where m.id = ${parentId}`;
  const walked = await tx.execute(sql`
    with recursive walk as (
      select s.id, s.project_id, 0 as depth from (${start}) s
      union all
      select c.id, c.project_id, w.depth + 1 from walk w cross join lateral (
        select m.id, m.project_id from ${messages} m where m.parent_id = w.id
        order by m.created_at desc, m.id desc limit 1
      ) c
    )
    select id, project_id, depth from walk where depth = 0 or depth = (select max(depth) from walk)
    order by depth`);
  const rows = rowsOf<{ id: string; project_id: string }>(walked);
  if (parentId !== null && rows[0]?.project_id !== projectId) {
    throw invalid(field, "is not a message of this project");
  }
  return rows.at(-1)?.id ?? null;
}

/**
 * The user message an edit makes a new version of, and so the parent the new version
 * takes. 400 when it is not a user message of the project, or when `parentId` is given
 * as anything but that message's own parent.
 */
async function editedMessage(
  tx: Tx,
  message: NewMessage,
  edits: string,
  fields: MessageFields,
): Promise<MessageRow> {
  const edited = await requireParent(tx, message.projectId, edits, fields.edits);
  if (edited.role !== "user") {
    throw invalid(fields.edits, "is not a user message: only a user message can be edited");
  }
  if (message.parentId !== undefined && message.parentId !== edited.parentId) {
    throw invalid(
      fields.parentId,
      `must be the edited message's parent (${edited.parentId ?? "null"}), or left out: an edit goes beside the message it edits`,
    );
  }
  return edited;
}

/**
 * Stores a client's message, idempotently on its client-made id: `created` when it is
 * new; the stored row when the same message was stored before (a retry of the same
 * send, wherever it was placed); 409 duplicate_id when the id holds a different message
 * (bare, without the stored row, when it is in a project `userId` may not see). The
 * caller has checked that `userId` is a member of `message.projectId` and locked its
 * tree (`tree`: `lockTreeAsMember`, which does both in one statement, or `lockTree`).
 *
 * A new message is placed under that lock: an edit beside the message it edits, a plain
 * send at the end of the branch it named (`placeSend`), one naming nothing after the
 * project's newest message. Its time is after its parent's,
 * even when the parent committed after this transaction began.
 */
export async function insertMessage(
  tx: Tx,
  tree: LockedTree,
  message: NewMessage,
  userId: string,
  fields: MessageFields = bodyFields,
): Promise<{ created: boolean; row: MessageRow }> {
  if (tree.projectId !== message.projectId) throw new Error("The tree locked is not the message's project's");
  const edited =
    message.edits === undefined ? undefined : await editedMessage(tx, message, message.edits, fields);
  let parent: SQL;
  if (edited) parent = sql`select m.id, m.created_at from ${messages} m where m.id = ${edited.parentId}`;
  else if (message.parentId === undefined) {
    parent = sql`select m.id, m.created_at from ${messages} m where m.project_id = ${message.projectId} order by m.created_at desc, m.id desc limit 1`;
  } else {
    const placed = await placeSend(tx, message.projectId, message.parentId, fields.parentId);
    parent = sql`select m.id, m.created_at from ${messages} m where m.id = ${placed}`;
  }
  // Written out rather than built with `tx.insert(messages)`: that builder was the largest
  // part of a POST's own CPU time. `greatest` skips the null of no parent.
  const at = sql`greatest(clock_timestamp(), (select created_at from parent) + interval '1 microsecond')`;
  const inserted = await tx.execute(
    sql`with parent as (${parent}) insert into ${messages} ("id", "project_id", "parent_id", "role", "content", "parts", "created_at", "updated_at") values (${message.id}, ${message.projectId}, (select id from parent), ${message.role}, ${message.content}, ${JSON.stringify(message.parts)}, ${at}, ${at}) on conflict ("id") do nothing returning ${messageRows.columnList}`,
  );
  const [raw] = rowsOf<Record<string, unknown>>(inserted);
  if (raw) return { created: true, row: messageRows.fromDriver(raw) };

  const [stored] = await tx.select().from(messages).where(eq(messages.id, message.id));
  const visible =
    stored !== undefined &&
    (stored.projectId === message.projectId || (await roleIn(tx, stored.projectId, userId)) !== undefined);
  if (!visible) {
    throw new ApiError("duplicate_id", `The id ${message.id} is taken: send the message with a new id`);
  }
  const same =
    stored.projectId === message.projectId &&
    stored.role === message.role &&
    stored.content === message.content &&
    sameJson(stored.parts, message.parts) &&
    (await placedAsAsked(tx, stored, message, edited));
  if (same) return { created: false, row: stored };
  throw new ApiError("duplicate_id", `A different message with id ${message.id} already exists`, {
    current: toMessage(stored),
  });
}

/**
 * Whether the stored message is where this send would have put it, so that the send is
 * a retry of it: an edit beside the same message; a plain send anywhere below the parent
 * it names (others may have gone on from there before it first arrived).
 */
async function placedAsAsked(
  tx: Tx,
  stored: MessageRow,
  message: NewMessage,
  edited: MessageRow | undefined,
): Promise<boolean> {
  if (edited) return stored.parentId === edited.parentId;
  if (message.parentId === undefined || message.parentId === null) return true;
  if (stored.parentId === message.parentId) return true;
  const found = await tx.execute(sql`
    with recursive up as (
      select m.id, m.parent_id from ${messages} m where m.id = ${stored.parentId}
      union all
      select m.id, m.parent_id from ${messages} m join up on m.id = up.parent_id
    )
    select 1 from up where id = ${message.parentId} limit 1`);
  return rowsOf(found).length > 0;
}
