import { randomUUID } from "node:crypto";
import type { Db } from "@tandem/db/client";
import { messages, projectMembers, projects } from "@tandem/db/schema";
import {
  exportQuerySchema,
  idSchema,
  PROJECT_FILE_FORMAT,
  PROJECT_FILE_VERSION,
  projectFileHeaderSchema,
  projectFileSchema,
} from "@tandem/shared";
import { asc, eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { projectChanges } from "../feed/change-log.ts";
import type { FeedHub } from "../feed/hub.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { SNAPSHOT, withPosition } from "../http/feed-position.ts";
import { jsonBody, parseOrThrow, pathParams, queryParams } from "../http/validate.ts";
import { branchEndingAt, newestBranch } from "../project-files/message-tree.ts";
import {
  fileProblems,
  type ImportedMessage,
  importedMessages,
  toProjectFile,
} from "../project-files/project-file.ts";
import { transcript } from "../project-files/transcript.ts";
import { toProject } from "../rows.ts";

const idParam = z.object({ id: idSchema });

/** Rows per insert statement of an import (11 parameters a row, well under Postgres' 65,535). */
const IMPORT_BATCH = 1000;

/**
 * A project as a file and back: the export any member may take (a Markdown transcript of
 * one branch, or the JSON file of every branch), and the import, which makes a new
 * project of the caller's from such a file, in one transaction.
 */
export const projectFileRoutes = (db: Db, feed: FeedHub) =>
  new Hono<AppEnv>()
    .get("/:id/export", pathParams(idParam), queryParams(exportQuerySchema), async (c) => {
      const { id } = c.req.valid("param");
      const { format, leaf } = c.req.valid("query");
      const { project, rows } = await db.transaction(async (tx) => {
        await c.var.access.member(tx, id);
        const [project] = await tx.select().from(projects).where(eq(projects.id, id));
        if (!project) throw notFound("Project", id);
        const rows = await tx
          .select()
          .from(messages)
          .where(eq(messages.projectId, id))
          .orderBy(asc(messages.createdAt), asc(messages.id));
        return { project, rows };
      }, SNAPSHOT);

      const now = new Date();
      c.header("cache-control", "no-store");
      if (format === "json") {
        c.header("content-disposition", attachment(project.name, "json"));
        return c.json(toProjectFile(project, rows, now));
      }
      if (leaf !== undefined && !rows.some((message) => message.id === leaf)) {
        throw new ApiError("invalid_input", "The query is not valid", {
          details: [{ path: "leaf", message: "is not a message of this project" }],
        });
      }
      const branch = leaf === undefined ? newestBranch(rows) : branchEndingAt(rows, leaf);
      c.header("content-disposition", attachment(project.name, "md"));
      return c.body(transcript(project, branch, now), 200, {
        "content-type": "text/markdown; charset=utf-8",
      });
    })

    .post("/import", jsonBody(z.unknown()), async (c) => {
      const body = c.req.valid("json");
      const refused = "The file is not a Tandem project file";
      const claimed = (body as { format?: unknown; version?: unknown } | null) ?? {};
      if (!z.safeParse(projectFileHeaderSchema, body).success) {
        parseOrThrow(
          projectFileHeaderSchema,
          body,
          "body",
          claimed.format === PROJECT_FILE_FORMAT
            ? `The file is a Tandem project of version ${JSON.stringify(claimed.version)}; this server reads version ${PROJECT_FILE_VERSION}`
            : refused,
        );
      }
      const file = parseOrThrow(projectFileSchema, body, "body", `${refused}: some of its fields are wrong`);
      const problems = fileProblems(file);
      if (problems.length > 0) {
        throw new ApiError("invalid_input", `${refused}: its messages do not form a tree`, {
          details: problems,
        });
      }
      const rows = importedMessages(file, randomUUID);

      const { result: project, position } = await writeWithFeed(db, feed, async (tx, append) => {
        const userId = (await c.var.access.caller(tx)).user.id;
        const [project] = await tx
          .insert(projects)
          .values({
            id: randomUUID(),
            name: file.project.name,
            instructions: file.project.instructions,
            ownerId: userId,
          })
          .returning();
        if (!project) throw new Error("The imported project was not created");
        await tx.insert(projectMembers).values({ projectId: project.id, userId, role: "owner" });
        for (let i = 0; i < rows.length; i += IMPORT_BATCH) {
          await tx
            .insert(messages)
            .values(rows.slice(i, i + IMPORT_BATCH).map((row) => stored(row, project.id)));
        }
        // One event, the project's, whatever its size: a reader loads its messages by window.
        append(projectChanges("upsert", [project]));
        return project;
      });
      withPosition(c, position);
      return c.json(toProject(project), 201);
    });

/** An imported message as its row is inserted; its time keeps the file's order to the microsecond. */
function stored({ createdAt, micros, ...row }: ImportedMessage, projectId: string) {
  return {
    ...row,
    projectId,
    createdAt: sql`${createdAt.toISOString()}::timestamptz + ${micros}::integer * interval '1 microsecond'`,
  };
}

/** `attachment; filename=…` naming the file after the project, for any name (RFC 6266). */
function attachment(name: string, extension: string): string {
  const base =
    name
      .replace(/[\\/:*?"<>|\p{Cc}]+/gu, " ")
      .trim()
      .replace(/\s+/g, "-")
      .slice(0, 100) || "project";
  const ascii = base.replace(/[^\x20-\x7e]/g, "_");
  return `attachment; filename="${ascii}.${extension}"; filename*=UTF-8''${encodeURIComponent(base)}.${extension}`;
}
