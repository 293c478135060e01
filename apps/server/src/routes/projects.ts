import type { Db } from "@tandem/db/client";
import { projects } from "@tandem/db/schema";
import {
  createProjectBodySchema,
  FEED_POSITION_HEADER,
  idSchema,
  updateProjectBodySchema,
} from "@tandem/shared";
import { and, asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { appendChanges, projectChanges, readHead } from "../feed/change-log.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import { SNAPSHOT, withPosition } from "../http/feed-position.ts";
import { jsonBody, pathParams } from "../http/validate.ts";
import { toProject } from "../rows.ts";

const idParam = z.object({ id: idSchema });

export const projectRoutes = (db: Db) =>
  new Hono()
    .get("/", async (c) => {
      const { rows, head } = await db.transaction(async (tx) => {
        const rows = await tx.select().from(projects).orderBy(asc(projects.createdAt), asc(projects.id));
        return { rows, head: await readHead(tx) };
      }, SNAPSHOT);
      c.header(FEED_POSITION_HEADER, String(head));
      return c.json(rows.map(toProject));
    })

    .post("/", jsonBody(createProjectBodySchema), async (c) => {
      const body = c.req.valid("json");
      return db.transaction(async (tx) => {
        const [created] = await tx
          .insert(projects)
          .values({ id: body.id, name: body.name, status: body.status ?? "active" })
          .onConflictDoNothing({ target: projects.id })
          .returning();
        if (created) {
          withPosition(c, await appendChanges(tx, projectChanges("upsert", [created])));
          return c.json(toProject(created), 201);
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
