import type { Tx } from "@tandem/db/client";
import { projectMembers, projects } from "@tandem/db/schema";
import { sql } from "drizzle-orm";
import { rowsOf } from "./driver-rows.ts";
import { notFound } from "./http/api-error.ts";

declare const lockedTree: unique symbol;

/**
 * A project whose message tree this transaction has locked: made only here, and asked
 * for by every write that places a message (`insertMessage`), so none can forget it.
 */
export interface LockedTree {
  readonly projectId: string;
  readonly [lockedTree]: true;
}

/**
 * Serialises the writes that change one project's message tree: every send takes it
 * before it reads where to go, so two sends at once land one after the other, never as
 * versions of one turn; a delete takes it too, so the message a send goes after cannot
 * vanish between the read and the insert. A row lock on the project, FOR NO KEY UPDATE:
 * it does not hold up the foreign-key checks of other inserts (FOR KEY SHARE), nor any
 * other project. Waiting for it must be its own statement: a statement's snapshot is
 * taken when it starts, so a read in the same statement would miss what the holder
 * committed. 404 when the project is gone.
 */
export async function lockTree(tx: Tx, projectId: string): Promise<LockedTree> {
  const locked = await tx.execute(
    sql`select 1 from ${projects} p where p.id = ${projectId} for no key update`,
  );
  if (rowsOf(locked).length === 0) throw notFound("Project", projectId);
  return { projectId } as LockedTree;
}

/**
 * `lockTree` and the membership check in one statement (a send's first, on its hot
 * path): any member may send, so only whether the user is one is asked. 404 when the
 * project is gone or the user is not a member of it; the tree of a project the user may
 * not see is never locked.
 */
export async function lockTreeAsMember(tx: Tx, projectId: string, userId: string): Promise<LockedTree> {
  const locked = await tx.execute(
    sql`select 1 from ${projectMembers} pm join ${projects} p on p.id = pm.project_id where pm.project_id = ${projectId} and pm.user_id = ${userId} for no key update of p`,
  );
  if (rowsOf(locked).length === 0) throw notFound("Project", projectId);
  return { projectId } as LockedTree;
}
