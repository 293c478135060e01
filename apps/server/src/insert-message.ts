import type { Tx } from "@tandem/db/client";
import { type MessageRow, messages } from "@tandem/db/schema";
import type { MessagePart } from "@tandem/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { roleIn } from "./access.ts";
import { messageRows, rowsOf } from "./driver-rows.ts";
import { ApiError, notFound } from "./http/api-error.ts";
import { isForeignKeyViolation } from "./http/database-error.ts";
import { toMessage } from "./rows.ts";
import { sameJson } from "./same-json.ts";

/** A message a client sends (POST /api/messages, or the user's turn of POST /api/chat). */
export interface NewMessage {
  id: string;
  projectId: string;
  role: "user";
  content: string;
  parts: MessagePart[];
  /**
   * The message it follows on its branch (null: a first message). Undefined for a client
   * that names none: it follows the project's newest message, as in a chat with no versions.
   */
  parentId?: string | null | undefined;
}

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
  throw new ApiError("invalid_input", "The request body is not valid", {
    details: [{ path: field, message: why }],
  });
}

/**
 * Stores a client's message, idempotently on its client-made id: `created` when it is
 * new; the stored row when the same message was stored before (a retry of the same
 * send); 409 duplicate_id when the id holds a different message (bare, without the
 * stored row, when it is in a project `userId` may not see); 404 when the project does
 * not exist. One statement when it is new: the project's foreign key is the check. The
 * caller has checked that `userId` is a member of `message.projectId`.
 */
/**
 * What a message after `parent` follows. A user message written after another user
 * message (sent before that one was answered: typed quickly, or queued offline) follows
 * that message's answer once there is one, its first, so the branch reads question, answer,
 * question, and a retry lands on the same parent.
 */
async function followAnswer(tx: Tx, parent: MessageRow): Promise<string> {
  if (parent.role !== "user") return parent.id;
  return (await firstAnswer(tx, parent.id))?.id ?? parent.id;
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

export async function insertMessage(
  tx: Tx,
  message: NewMessage,
  userId: string,
  parentField = "parentId",
): Promise<{ created: boolean; row: MessageRow }> {
  if (message.parentId) {
    const parent = await requireParent(tx, message.projectId, message.parentId, parentField);
    message = { ...message, parentId: await followAnswer(tx, parent) };
  }
  let created: MessageRow | undefined;
  try {
    // What `tx.insert(messages).values(message).onConflictDoNothing().returning()` sends,
    // written out: that builder was the largest part of a POST's own CPU time.
    const parent =
      message.parentId === undefined
        ? sql`(select m.id from ${messages} m where m.project_id = ${message.projectId} order by m.created_at desc, m.id desc limit 1)`
        : sql`${message.parentId}::uuid`;
    const inserted = await tx.execute(
      sql`insert into ${messages} ("id", "project_id", "parent_id", "role", "content", "parts") values (${message.id}, ${message.projectId}, ${parent}, ${message.role}, ${message.content}, ${JSON.stringify(message.parts)}) on conflict ("id") do nothing returning ${messageRows.columnList}`,
    );
    const [raw] = rowsOf<Record<string, unknown>>(inserted);
    created = raw && messageRows.fromDriver(raw);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw notFound("Project", message.projectId);
    throw error;
  }
  if (created) return { created: true, row: created };

  const [stored] = await tx.select().from(messages).where(eq(messages.id, message.id));
  const visible =
    stored !== undefined &&
    (stored.projectId === message.projectId || (await roleIn(tx, stored.projectId, userId)) !== undefined);
  if (!visible) {
    throw new ApiError("duplicate_id", `The id ${message.id} is taken: send the message with a new id`);
  }
  const same =
    stored &&
    stored.projectId === message.projectId &&
    stored.role === message.role &&
    (message.parentId === undefined || stored.parentId === message.parentId) &&
    stored.content === message.content &&
    sameJson(stored.parts, message.parts);
  if (same) return { created: false, row: stored };
  throw new ApiError("duplicate_id", `A different message with id ${message.id} already exists`, {
    current: stored && toMessage(stored),
  });
}
