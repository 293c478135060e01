import type { Db, Tx } from "@tandem/db/client";
import { type MessageRow, messages, projectMembers } from "@tandem/db/schema";
import type { MemberRole } from "@tandem/shared";
import { and, eq } from "drizzle-orm";
import { ApiError, notFound } from "./http/api-error.ts";

/**
 * Access rules, one query each. A project the caller is not a member of does not exist
 * for them (404, the same answer as an unknown id), so its existence is never revealed;
 * an owner-only action asked by a member is 403.
 */

/** A transaction, or the database for a single read. */
type Queryable = Db | Tx;

/** The caller's role in a project, or undefined when they are not a member (or it does not exist). */
export async function roleIn(
  tx: Queryable,
  projectId: string,
  userId: string,
): Promise<MemberRole | undefined> {
  const [row] = await tx
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row?.role;
}

/** The caller's role in the project; 404 when they are not a member. */
export async function requireMember(tx: Queryable, projectId: string, userId: string): Promise<MemberRole> {
  const role = await roleIn(tx, projectId, userId);
  if (!role) throw notFound("Project", projectId);
  return role;
}

/** 404 for a stranger, 403 for a member: only the owner may do `what`. */
export async function requireOwner(
  tx: Queryable,
  projectId: string,
  userId: string,
  what: string,
): Promise<void> {
  const role = await requireMember(tx, projectId, userId);
  if (role !== "owner") throw new ApiError("forbidden", `Only the project's owner may ${what}`);
}

/** A message of a project the caller is a member of (locked for update if asked); 404 otherwise. */
export async function visibleMessage(
  tx: Queryable,
  messageId: string,
  userId: string,
  { forUpdate = false } = {},
): Promise<MessageRow> {
  const query = tx
    .select({ message: messages })
    .from(messages)
    .innerJoin(
      projectMembers,
      and(eq(projectMembers.projectId, messages.projectId), eq(projectMembers.userId, userId)),
    )
    .where(eq(messages.id, messageId));
  const [row] = forUpdate ? await query.for("update", { of: messages }) : await query;
  if (!row) throw notFound("Message", messageId);
  return row.message;
}
