import type { Db } from "@tandem/db/client";
import { projectMembers, sessions } from "@tandem/db/schema";
import type { ProjectRemoved } from "@tandem/shared";
import { and, gt, inArray, sql } from "drizzle-orm";
import type { FeedChange } from "./change-log.ts";
import { changeFrame } from "./frames.ts";

/** What a feed connection is sent: a position and its frame (encoded once when shared). */
export interface SentChange {
  position: bigint;
  frame: Uint8Array;
}

/**
 * What one feed connection may read: the changes of the projects its user is a member
 * of. It starts from the memberships read when the connection opened and follows the
 * membership changes it passes, in log order, so from each position on it carries
 * exactly what its user may see there: an invitation lets the project's changes through
 * from the invitation on, a removal stops them right after the removal's own entry.
 */
export class ReaderAccess {
  readonly userId: string;
  /** The session the connection was opened with: signing it out ends the connection. */
  readonly sessionId: string | undefined;
  #projects: Set<string>;

  constructor(userId: string, sessionId: string | undefined, projectIds: Iterable<string>) {
    this.userId = userId;
    this.sessionId = sessionId;
    this.#projects = new Set(projectIds);
  }

  /** Starts over from memberships read again (after a reset skipped entries). */
  replaceProjects(projectIds: Iterable<string>) {
    this.#projects = new Set(projectIds);
  }

  /**
   * Sends `to` what of `change` this reader may see: nothing, the change's shared frame,
   * or, for its own removal from a project, the membership change and then the project's
   * removal. Called for every change and connection, so it allocates nothing on the way.
   */
  send(change: FeedChange, to: { change(sent: SentChange): void }): void {
    const { event } = change;
    const projectId = event.projectId;
    if (event.entity === "member" && event.row?.userId === this.userId) {
      if (event.op === "upsert") {
        this.#projects.add(projectId);
        to.change(change);
        return;
      }
      // Sent even when the reader no longer had it (it connected after the removal, from
      // a position before it): its browser still holds the project and must drop it.
      this.#projects.delete(projectId);
      to.change(change);
      to.change(removal(change.position, projectId));
      return;
    }
    if (event.entity === "project") {
      // A project's owner is its member from its first row on (a new project, or one
      // claimed from the local owner), with no membership entry of its own.
      if (event.op === "upsert" && event.row.ownerId === this.userId) this.#projects.add(projectId);
      if (event.op === "delete") {
        // Its owner is told even when catching up from before the delete with memberships
        // read after it (the project is in none of them by then); its other members were
        // told by their own membership's delete, appended just before.
        const had = this.#projects.delete(projectId);
        if (had || event.row.ownerId === this.userId) to.change(change);
        return;
      }
    }
    if (this.#projects.has(projectId)) to.change(change);
  }
}

/** The project's removal as its former member is told of it: its id, no row. */
function removal(position: bigint, projectId: string): SentChange {
  const event: ProjectRemoved = { entity: "project", op: "delete", id: projectId, projectId };
  return { position, frame: changeFrame(position, event) };
}

/** The projects each of these users is a member of now. */
export async function readMemberships(db: Db, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await db
    .select({ userId: projectMembers.userId, projectId: projectMembers.projectId })
    .from(projectMembers)
    .where(inArray(projectMembers.userId, [...userIds]));
  const byUser = new Map<string, string[]>();
  for (const { userId, projectId } of rows) {
    const projects = byUser.get(userId);
    if (projects) projects.push(projectId);
    else byUser.set(userId, [projectId]);
  }
  return byUser;
}

/** Which of these sessions are still signed in (not signed out, not expired). */
export async function validSessions(db: Db, sessionIds: readonly string[]): Promise<Set<string>> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(inArray(sessions.id, [...sessionIds]), gt(sessions.expiresAt, sql`now()`)));
  return new Set(rows.map((row) => row.id));
}
