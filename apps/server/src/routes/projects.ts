import type { Db } from "@tandem/db/client";
import { projectMembers, projects, users } from "@tandem/db/schema";
import {
  createProjectBodySchema,
  FEED_POSITION_HEADER,
  idSchema,
  updateProjectBodySchema,
} from "@tandem/shared";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { roleIn } from "../access.ts";
import { memberChanges, projectChanges, readHead } from "../feed/change-log.ts";
import type { FeedHub } from "../feed/hub.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { SNAPSHOT, withPosition } from "../http/feed-position.ts";
import { jsonBody, pathParams } from "../http/validate.ts";
import { toProject } from "../rows.ts";

const idParam = z.object({ id: idSchema });

/** The projects the caller is a member of; only the owner deletes one (members rename and archive). */
export const projectRoutes = (db: Db, feed: FeedHub) =>
  new Hono<AppEnv>()
    .get("/", async (c) => {
      const { rows, head } = await db.transaction(async (tx) => {
        const userId = (await c.var.access.caller(tx)).user.id;
        const rows = await tx
          .select({ project: projects })
          .from(projectMembers)
          .innerJoin(projects, eq(projects.id, projectMembers.projectId))
          .where(eq(projectMembers.userId, userId))
          .orderBy(asc(projects.createdAt), asc(projects.id))
          .then((found) => found.map((row) => row.project));
        return { rows, head: await readHead(tx) };
      }, SNAPSHOT);
      c.header(FEED_POSITION_HEADER, String(head));
      return c.json(rows.map(toProject));
    })

    .post("/", jsonBody(createProjectBodySchema), async (c) => {
      const body = c.req.valid("json");
      const { result, position } = await writeWithFeed(db, feed, async (tx, append) => {
        const userId = (await c.var.access.caller(tx)).user.id;
        const [created] = await tx
          .insert(projects)
          .values({ id: body.id, name: body.name, status: body.status ?? "active", ownerId: userId })
          .onConflictDoNothing({ target: projects.id })
          .returning();
        if (created) {
          await tx.insert(projectMembers).values({ projectId: created.id, userId, role: "owner" });
          append(projectChanges("upsert", [created]));
          return { created: true, row: created };
        }

        // The id is taken. Someone else's project is not described at all: a bare 409.
        if (!(await roleIn(tx, body.id, userId))) {
          throw new ApiError("duplicate_id", `The id ${body.id} is taken: make the project with a new id`);
        }
        // The same id again: a retry of the same create answers the stored row.
        const [stored] = await tx.select().from(projects).where(eq(projects.id, body.id));
        if (stored && stored.name === body.name && stored.status === (body.status ?? "active")) {
          return { created: false, row: stored };
        }
        throw new ApiError("duplicate_id", `A different project with id ${body.id} already exists`, {
          current: stored && toProject(stored),
        });
      });
      withPosition(c, position);
      return c.json(toProject(result.row), result.created ? 201 : 200);
    })

    .patch("/:id", pathParams(idParam), jsonBody(updateProjectBodySchema), async (c) => {
      const { id } = c.req.valid("param");
      const { version, ...changes } = c.req.valid("json");
      const { result: updated, position } = await writeWithFeed(db, feed, async (tx, append) => {
        await c.var.access.member(tx, id);
        const [updated] = await tx
          .update(projects)
          .set({ ...changes, version: sql`${projects.version} + 1`, updatedAt: sql`now()` })
          .where(and(eq(projects.id, id), eq(projects.version, version)))
          .returning();
        if (updated) {
          append(projectChanges("upsert", [updated]));
          return updated;
        }

        const [current] = await tx.select().from(projects).where(eq(projects.id, id));
        if (!current) throw notFound("Project", id);
        throw new ApiError(
          "version_conflict",
          `Project ${id} changed since version ${version}; it is at version ${current.version}`,
          { current: toProject(current) },
        );
      });
      withPosition(c, position);
      return c.json(toProject(updated), 200);
    })

    .delete("/:id", pathParams(idParam), async (c) => {
      const { id } = c.req.valid("param");
      const { result: deleted, position } = await writeWithFeed(db, feed, async (tx, append) => {
        await c.var.access.owner(tx, id, "delete it");
        // Its messages and running processes go with it (ON DELETE CASCADE), and its one
        // delete event stands for them all: a reader drops the project's messages with it,
        // so the log grows by one entry whatever the project's size.
        // Its other members' memberships end with it, on the log too: a member who catches
        // up later, when the project is in none of their memberships, still learns of it.
        const others = await tx
          .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role })
          .from(projectMembers)
          .innerJoin(users, eq(users.id, projectMembers.userId))
          .where(and(eq(projectMembers.projectId, id), ne(projectMembers.role, "owner")));
        const [deleted] = await tx.delete(projects).where(eq(projects.id, id)).returning();
        if (!deleted) throw notFound("Project", id);
        append([
          ...memberChanges(
            "delete",
            others.map((member) => ({ projectId: id, ...member })),
          ),
          ...projectChanges("delete", [deleted]),
        ]);
        return deleted;
      });
      withPosition(c, position);
      return c.json(toProject(deleted), 200);
    });
