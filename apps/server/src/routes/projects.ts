import type { Db } from "@tandem/db/client";
import { projectMembers, projects } from "@tandem/db/schema";
import {
  createProjectBodySchema,
  FEED_POSITION_HEADER,
  idSchema,
  updateProjectBodySchema,
} from "@tandem/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { roleIn } from "../access.ts";
import { appendChanges, projectChanges, readHead } from "../feed/change-log.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { SNAPSHOT, withPosition } from "../http/feed-position.ts";
import { jsonBody, pathParams } from "../http/validate.ts";
import { toProject } from "../rows.ts";

const idParam = z.object({ id: idSchema });

/** The projects the caller is a member of; only the owner deletes one (members rename and archive). */
export const projectRoutes = (db: Db) =>
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
      return db.transaction(async (tx) => {
        const userId = (await c.var.access.caller(tx)).user.id;
        const [created] = await tx
          .insert(projects)
          .values({ id: body.id, name: body.name, status: body.status ?? "active", ownerId: userId })
          .onConflictDoNothing({ target: projects.id })
          .returning();
        if (created) {
          await tx.insert(projectMembers).values({ projectId: created.id, userId, role: "owner" });
          withPosition(c, await appendChanges(tx, projectChanges("upsert", [created])));
          return c.json(toProject(created), 201);
        }

        // The id is taken. Someone else's project is not described at all: a bare 409.
        if (!(await roleIn(tx, body.id, userId))) {
          throw new ApiError("duplicate_id", `The id ${body.id} is taken: make the project with a new id`);
        }
        // The same id again: a retry of the same create answers the stored row.
        const [stored] = await tx.select().from(projects).where(eq(projects.id, body.id));
        if (stored && stored.name === body.name && stored.status === (body.status ?? "active")) {
          return c.json(toProject(stored), 200);
        }
        throw new ApiError("duplicate_id", `A different project with id ${body.id} already exists`, {
          current: stored && toProject(stored),
        });
      });
    })

    .patch("/:id", pathParams(idParam), jsonBody(updateProjectBodySchema), async (c) => {
      const { id } = c.req.valid("param");
      const { version, ...changes } = c.req.valid("json");
      return db.transaction(async (tx) => {
        await c.var.access.member(tx, id);
        const [updated] = await tx
          .update(projects)
          .set({ ...changes, version: sql`${projects.version} + 1`, updatedAt: sql`now()` })
          .where(and(eq(projects.id, id), eq(projects.version, version)))
          .returning();
        if (updated) {
          withPosition(c, await appendChanges(tx, projectChanges("upsert", [updated])));
          return c.json(toProject(updated), 200);
        }

        const [current] = await tx.select().from(projects).where(eq(projects.id, id));
        if (!current) throw notFound("Project", id);
        throw new ApiError(
          "version_conflict",
          `Project ${id} changed since version ${version}; it is at version ${current.version}`,
          { current: toProject(current) },
        );
      });
    })

    .delete("/:id", pathParams(idParam), async (c) => {
      const { id } = c.req.valid("param");
      return db.transaction(async (tx) => {
        await c.var.access.owner(tx, id, "delete it");
        // Its messages and running processes go with it (ON DELETE CASCADE), and its one
        // delete event stands for them all: a reader drops the project's messages with it,
        // so the log grows by one entry whatever the project's size.
        const [deleted] = await tx.delete(projects).where(eq(projects.id, id)).returning();
        if (!deleted) throw notFound("Project", id);
        const position = await appendChanges(tx, projectChanges("delete", [deleted]));
        withPosition(c, position);
        return c.json(toProject(deleted), 200);
      });
    });
