import type { Db } from "@tandem/db/client";
import { projectMembers, projects, users } from "@tandem/db/schema";
import { LOCAL_OWNER } from "@tandem/shared";
import { asc, eq, ne, sql } from "drizzle-orm";
import { projectChanges } from "../feed/change-log.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";

/** Serialises claims, so two first sign-ups at once cannot split the projects. */
const CLAIM_LOCK = 7_405_313;

/**
 * Switching a local install to accounts: the first account made takes over what the
 * local owner had (its projects, and its places in them). Run after every sign-up; only
 * the oldest account besides the owner ever claims, and only what the owner still holds,
 * so later sign-ups change nothing. The projects' new owner goes out on the change feed
 * (every instance's feed reads it from the log: a sign-up is rare).
 */
export async function claimLocalProjects(db: Db, userId: string): Promise<number> {
  const { result } = await writeWithFeed(db, undefined, async (tx, append) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CLAIM_LOCK})`);
    const [first] = await tx
      .select({ id: users.id })
      .from(users)
      .where(ne(users.id, LOCAL_OWNER.id))
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(1);
    if (first?.id !== userId) return 0;
    const claimed = await tx
      .update(projects)
      .set({ ownerId: userId, version: sql`${projects.version} + 1`, updatedAt: sql`now()` })
      .where(eq(projects.ownerId, LOCAL_OWNER.id))
      .returning();
    if (claimed.length === 0) return 0;
    await tx.update(projectMembers).set({ userId }).where(eq(projectMembers.userId, LOCAL_OWNER.id));
    append(projectChanges("upsert", claimed));
    return claimed.length;
  });
  return result;
}
