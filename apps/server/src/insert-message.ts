import type { Tx } from "@tandem/db/client";
import { type MessageRow, messages } from "@tandem/db/schema";
import type { MessagePart } from "@tandem/shared";
import { eq } from "drizzle-orm";
import { roleIn } from "./access.ts";
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
}

/**
 * Stores a client's message, idempotently on its client-made id: `created` when it is
 * new; the stored row when the same message was stored before (a retry of the same
 * send); 409 duplicate_id when the id holds a different message (bare, without the
 * stored row, when it is in a project `userId` may not see); 404 when the project does
 * not exist. One statement when it is new: the project's foreign key is the check. The
 * caller has checked that `userId` is a member of `message.projectId`.
 */
export async function insertMessage(
  tx: Tx,
  message: NewMessage,
  userId: string,
): Promise<{ created: boolean; row: MessageRow }> {
  let created: MessageRow | undefined;
  try {
    [created] = await tx
      .insert(messages)
      .values(message)
      .onConflictDoNothing({ target: messages.id })
      .returning();
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
    stored.content === message.content &&
    sameJson(stored.parts, message.parts);
  if (same) return { created: false, row: stored };
  throw new ApiError("duplicate_id", `A different message with id ${message.id} already exists`, {
    current: stored && toMessage(stored),
  });
}
