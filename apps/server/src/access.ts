import type { Db, Tx } from "@tandem/db/client";
import { type MessageRow, messages, projectMembers } from "@tandem/db/schema";
import type { MemberRole, SessionUser } from "@tandem/shared";
import { and, eq, sql } from "drizzle-orm";
import { rowsOf } from "./driver-rows.ts";
import { ApiError, notFound } from "./http/api-error.ts";
import { type LockedTree, lockTree, lockTreeAsMember } from "./tree-lock.ts";

/**
 * Access rules. A project the caller is not a member of does not exist for them (404,
 * the same answer as an unknown id), so its existence is never revealed; an owner-only
 * action asked by a member is 403.
 */

/** A transaction, or the database for a single read. */
export type Queryable = Db | Tx;

/** The signed-in user of a request, and the session it came with (none in local mode). */
export interface Caller {
  user: SessionUser;
  sessionId: string | undefined;
}

const unauthorized = () => new ApiError("unauthorized", "Sign in to use this server");

/**
 * One request's access: who calls, and what they may touch. In local mode the caller is
 * known up front. In accounts mode only the session token is (its cookie's signature was
 * checked); the session is read at the first question a route asks, inside the route's
 * own transaction, and kept for the rest of the request. A route that names a project
 * asks `member` first, which reads the session and the membership in one query: the hot
 * path costs no more round trips than in local mode.
 */
export class Access {
  readonly #db: Db;
  readonly #token: string | undefined;
  #caller: Caller | undefined;

  /** `known`: the local owner; else `token` is a session token to look up. */
  constructor(db: Db, who: { known: Caller } | { token: string }) {
    this.#db = db;
    if ("known" in who) this.#caller = who.known;
    else this.#token = who.token;
  }

  /** The caller; 401 when the session is gone (signed out, expired). */
  async caller(q: Queryable = this.#db): Promise<Caller> {
    if (this.#caller) return this.#caller;
    const row = await this.#session(q, null);
    if (!row) throw unauthorized();
    this.#caller = callerOf(row);
    return this.#caller;
  }

  /** The caller's role in the project: 401 without a session, 404 when not a member. */
  async member(q: Queryable, projectId: string): Promise<MemberRole> {
    let role: MemberRole | null | undefined;
    if (this.#caller) role = await roleIn(q, projectId, this.#caller.user.id);
    else {
      const row = await this.#session(q, projectId);
      if (!row) throw unauthorized();
      this.#caller = callerOf(row);
      role = row.role;
    }
    if (!role) throw notFound("Project", projectId);
    return role;
  }

  /**
   * As `member`, with the project's message tree locked (a send's first question): one
   * statement when the caller is known (`lockTreeAsMember`), the session's read and then
   * the lock otherwise. Answers the lock, for `insertMessage`.
   */
  async memberLockingTree(tx: Tx, projectId: string): Promise<LockedTree> {
    if (this.#caller) return lockTreeAsMember(tx, projectId, this.#caller.user.id);
    await this.member(tx, projectId);
    return lockTree(tx, projectId);
  }

  /** 401 / 404 as `member`, and 403 for a member: only the owner may do `what`. */
  async owner(q: Queryable, projectId: string, what: string): Promise<void> {
    const role = await this.member(q, projectId);
    if (role !== "owner") throw new ApiError("forbidden", `Only the project's owner may ${what}`);
  }

  /** A message of a project the caller is a member of (locked for update if asked); 404 otherwise. */
  async message(q: Queryable, messageId: string, options: { forUpdate?: boolean } = {}): Promise<MessageRow> {
    return visibleMessage(q, messageId, (await this.caller(q)).user.id, options);
  }

  /**
   * The session by its token (unexpired), its user, and their role in `projectId` when
   * given: one call of `tandem_session_access` (migration 0007), whose plan is kept.
   */
  async #session(q: Queryable, projectId: string | null): Promise<SessionRow | undefined> {
    const result = await q.execute(
      sql`select * from tandem_session_access(${this.#token ?? ""}, ${projectId}::uuid)`,
    );
    return rowsOf<SessionRow>(result)[0];
  }
}

interface SessionRow {
  session_id: string;
  user_id: string;
  name: string;
  email: string;
  role: MemberRole | null;
}

function callerOf(row: SessionRow): Caller {
  return { user: { id: row.user_id, name: row.name, email: row.email }, sessionId: row.session_id };
}

/** A user's role in a project, or undefined when they are not a member (or it does not exist). */
export async function roleIn(
  q: Queryable,
  projectId: string,
  userId: string,
): Promise<MemberRole | undefined> {
  // Plain SQL: it is on every member-only request (driver-rows.ts says why).
  const result = await q.execute(
    sql`select "role" from ${projectMembers} where "project_id" = ${projectId} and "user_id" = ${userId}`,
  );
  return rowsOf<{ role: MemberRole }>(result)[0]?.role;
}

/** A user's role in the project; 404 when they are not a member. */
export async function requireMember(q: Queryable, projectId: string, userId: string): Promise<MemberRole> {
  const role = await roleIn(q, projectId, userId);
  if (!role) throw notFound("Project", projectId);
  return role;
}

/** A message of a project the user is a member of (locked for update if asked); 404 otherwise. */
export async function visibleMessage(
  q: Queryable,
  messageId: string,
  userId: string,
  { forUpdate = false } = {},
): Promise<MessageRow> {
  const query = q
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
