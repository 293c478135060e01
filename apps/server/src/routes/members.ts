import type { Db, Tx } from "@tandem/db/client";
import { projectMembers, projects, users } from "@tandem/db/schema";
import { idSchema, inviteMemberBodySchema, type Member } from "@tandem/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { memberChanges, projectChanges } from "../feed/change-log.ts";
import type { FeedHub } from "../feed/hub.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { withPosition } from "../http/feed-position.ts";
import { jsonBody, pathParams } from "../http/validate.ts";

const projectParam = z.object({ id: idSchema });
const memberParam = z.object({ id: idSchema, userId: idSchema });

/**
 * A project's members: every member sees the list; only the owner invites and removes
 * others; a member may leave; the owner cannot (they delete the project instead).
 */
export const memberRoutes = (db: Db, feed: FeedHub) =>
  new Hono<AppEnv>()
    .get("/:id/members", pathParams(projectParam), async (c) => {
      const { id } = c.req.valid("param");
      const members = await db.transaction(async (tx) => {
        await c.var.access.member(tx, id);
        return membersOf(tx, id);
      });
      return c.json(members);
    })

    .post("/:id/members", pathParams(projectParam), jsonBody(inviteMemberBodySchema), async (c) => {
      const { id } = c.req.valid("param");
      const { email } = c.req.valid("json");
      const { result, position } = await writeWithFeed(db, feed, async (tx, append) => {
        await c.var.access.owner(tx, id, "invite members");
        const [user] = await tx
          .select({ id: users.id, email: users.email, name: users.name })
          .from(users)
          .where(eq(users.email, email));
        if (!user) {
          throw new ApiError(
            "user_not_found",
            `Nobody has an account with the email ${email}: ask them to sign up first`,
          );
        }
        const [added] = await tx
          .insert(projectMembers)
          .values({ projectId: id, userId: user.id, role: "member" })
          .onConflictDoNothing()
          .returning({ role: projectMembers.role });
        if (added) {
          // The membership, then the project: the new member's feed lets the project
          // through from the membership on, and the project row is what shows it to them.
          const member = toMember(user, added.role);
          const [project] = await tx.select().from(projects).where(eq(projects.id, id));
          append([
            ...memberChanges("upsert", [{ projectId: id, ...member }]),
            ...projectChanges("upsert", project ? [project] : []),
          ]);
          return { added: true, member };
        }
        // Already a member (or the owner): inviting again changes nothing.
        const [current] = await tx
          .select({ role: projectMembers.role })
          .from(projectMembers)
          .where(and(eq(projectMembers.projectId, id), eq(projectMembers.userId, user.id)));
        return { added: false, member: toMember(user, current?.role ?? "member") };
      });
      withPosition(c, position);
      return c.json(result.member, result.added ? 201 : 200);
    })

    .delete("/:id/members/:userId", pathParams(memberParam), async (c) => {
      const { id, userId } = c.req.valid("param");
      const { position } = await writeWithFeed(db, feed, async (tx, append) => {
        const callerRole = await c.var.access.member(tx, id);
        const callerId = (await c.var.access.caller(tx)).user.id;
        const [project] = await tx
          .select({ ownerId: projects.ownerId })
          .from(projects)
          .where(eq(projects.id, id));
        if (project?.ownerId === userId) {
          throw new ApiError("owner_cannot_leave", "The owner cannot leave their project: delete it instead");
        }
        if (userId !== callerId && callerRole !== "owner") {
          throw new ApiError("forbidden", "Only the project's owner may remove other members");
        }
        const [removed] = await tx
          .delete(projectMembers)
          .where(and(eq(projectMembers.projectId, id), eq(projectMembers.userId, userId)))
          .returning({ role: projectMembers.role });
        if (!removed) throw notFound("Member", userId);
        const [user] = await tx
          .select({ id: users.id, email: users.email, name: users.name })
          .from(users)
          .where(eq(users.id, userId));
        if (user) {
          // Every instance's feed stops sending the project to them from this entry on.
          const member = { projectId: id, ...toMember(user, removed.role) };
          append(memberChanges("delete", [member]));
        }
      });
      withPosition(c, position);
      return c.body(null, 204);
    });

/** The members, owner first, then by email. */
async function membersOf(tx: Tx, projectId: string): Promise<Member[]> {
  const rows = await tx
    .select({ id: users.id, email: users.email, name: users.name, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(sql`${projectMembers.role} = 'owner' desc`, asc(users.email));
  return rows.map((row) => toMember(row, row.role));
}

function toMember(user: { id: string; email: string; name: string }, role: Member["role"]): Member {
  return { userId: user.id, email: user.email, name: user.name, role };
}
