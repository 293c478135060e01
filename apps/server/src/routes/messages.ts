import type { Db } from "@tandem/db/client";
import { type MessageRow, messages, runningProcesses } from "@tandem/db/schema";
import {
  createMessageBodySchema,
  FEED_POSITION_HEADER,
  idSchema,
  listMessagesQuerySchema,
  textParts,
  updateMessageBodySchema,
} from "@tandem/shared";
import { and, eq, gt, gte, lt, type SQL, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { messageRows, rowsOf } from "../driver-rows.ts";
import { messageChanges, processChanges, readHead } from "../feed/change-log.ts";
import type { FeedHub } from "../feed/hub.ts";
import { writeWithFeed } from "../feed/write-with-feed.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { SNAPSHOT, withPosition } from "../http/feed-position.ts";
import { jsonBody, pathParams, queryParams } from "../http/validate.ts";
import { insertMessage } from "../insert-message.ts";
import { toMessage } from "../rows.ts";
import { lockTree } from "../tree-lock.ts";

const idParam = z.object({ id: idSchema });

/** Messages are ordered by (created_at, id); a cursor is the id of a message of the page before. */
const position = sql`(${messages.createdAt}, ${messages.id})`;
const positionOf = (id: string) => sql`(select m.created_at, m.id from ${messages} m where m.id = ${id})`;

/** The messages of the projects the caller is a member of; any member may write and edit them. Writes go to `feed` (this instance's) as soon as they commit, besides the change log. */
export const messageRoutes = (db: Db, feed: FeedHub) =>
  new Hono<AppEnv>()
    .get("/projects/:id/messages", pathParams(idParam), queryParams(listMessagesQuerySchema), async (c) => {
      const { id: projectId } = c.req.valid("param");
      const query = c.req.valid("query");
      const { rows, head } = await db.transaction(async (tx) => {
        await c.var.access.member(tx, projectId);

        for (const name of ["after", "before", "around"] as const) {
          const cursor = query[name];
          if (!cursor) continue;
          const [known] = await tx
            .select({ id: messages.id })
            .from(messages)
            .where(and(eq(messages.id, cursor), eq(messages.projectId, projectId)));
          if (!known) {
            throw new ApiError("invalid_input", "The query is not valid", {
              details: [{ path: name, message: "is not a message of this project" }],
            });
          }
        }

        // Every read below is a range of the (project_id, created_at, id) index, read
        // forwards (oldest first) or backwards (newest first, then reversed).
        // Plain SQL, not Drizzle's select builder: this is the hot read (driver-rows.ts).
        const read = async (where: SQL | undefined, direction: "asc" | "desc", limit: number) => {
          const order = sql.raw(direction);
          const result = await tx.execute(
            sql`select ${messageRows.columnList} from ${messages} where "project_id" = ${projectId}${where ? sql` and ${where}` : sql``} order by "created_at" ${order}, "id" ${order} limit ${limit}`,
          );
          return rowsOf<Record<string, unknown>>(result).map(messageRows.fromDriver);
        };
        const newestFirst = async (where: SQL | undefined) =>
          (await read(where, "desc", query.limit)).reverse();

        let rows: MessageRow[];
        if (query.after) rows = await read(gt(position, positionOf(query.after)), "asc", query.limit);
        else if (query.before) rows = await newestFirst(lt(position, positionOf(query.before)));
        else if (query.newest) rows = await newestFirst(undefined);
        else if (query.createdBefore)
          rows = await newestFirst(lt(messages.createdAt, new Date(query.createdBefore)));
        else if (query.createdAt) {
          // Wire times are milliseconds, stored ones microseconds: the tie is that millisecond.
          const at = new Date(query.createdAt);
          const within = and(gte(messages.createdAt, at), lt(messages.createdAt, new Date(at.getTime() + 1)));
          rows = await read(within, "asc", query.limit);
        } else if (query.around) {
          const earlier = await read(lt(position, positionOf(query.around)), "desc", query.limit - 1);
          const later = await read(gte(position, positionOf(query.around)), "asc", query.limit);
          const half = Math.floor((query.limit - 1) / 2);
          const takeEarlier = Math.min(earlier.length, Math.max(half, query.limit - later.length));
          rows = [...earlier.slice(0, takeEarlier).reverse(), ...later.slice(0, query.limit - takeEarlier)];
        } else rows = await read(undefined, "asc", query.limit);
        return { rows, head: await readHead(tx) };
      }, SNAPSHOT);
      c.header(FEED_POSITION_HEADER, String(head));
      return c.json(rows.map(toMessage));
    })

    .post("/messages", jsonBody(createMessageBodySchema), async (c) => {
      const body = c.req.valid("json");
      const { result, position } = await writeWithFeed(db, feed, async (tx, append) => {
        const tree = await c.var.access.memberLockingTree(tx, body.projectId);
        const { user } = await c.var.access.caller(tx);
        const inserted = await insertMessage(
          tx,
          tree,
          { ...body, parts: body.parts ?? textParts(body.content) },
          user.id,
        );
        if (inserted.created) append(messageChanges("upsert", [inserted.row]));
        return inserted;
      });
      if (!result.created) return c.json(toMessage(result.row), 200);
      withPosition(c, position);
      return c.json(toMessage(result.row), 201);
    })

    .patch("/messages/:id", pathParams(idParam), jsonBody(updateMessageBodySchema), async (c) => {
      const { id } = c.req.valid("param");
      const { version, content, parts } = c.req.valid("json");
      const { result: updated, position } = await writeWithFeed(db, feed, async (tx, append) => {
        const current = await c.var.access.message(tx, id, { forUpdate: true });
        if (current.version !== version) {
          throw new ApiError(
            "version_conflict",
            `Message ${id} changed since version ${version}; it is at version ${current.version}`,
            { current: toMessage(current) },
          );
        }
        if (current.status === "streaming") {
          throw new ApiError("version_conflict", `Message ${id} is still being written by the assistant`, {
            current: toMessage(current),
          });
        }
        const [updated] = await tx
          .update(messages)
          .set({
            content,
            parts: parts ?? textParts(content),
            version: sql`${messages.version} + 1`,
            updatedAt: sql`now()`,
          })
          .where(eq(messages.id, id))
          .returning();
        if (!updated) throw notFound("Message", id);
        append(messageChanges("upsert", [updated]));
        return updated;
      });
      withPosition(c, position);
      return c.json(toMessage(updated), 200);
    })

    .delete("/messages/:id", pathParams(idParam), async (c) => {
      const { id } = c.req.valid("param");
      const { result: deleted, position } = await writeWithFeed(db, feed, async (tx, append) => {
        // The project's tree lock before any row lock, as a send takes them: a send then
        // never goes after a message this deletes (nor waits for it while holding the lock).
        const found = await c.var.access.message(tx, id);
        await lockTree(tx, found.projectId);
        // The versions and replies below it go with it (they follow it), and the replies'
        // running processes: each deleted by name, so the feed tells of every one.
        const subtree = sql`(with recursive below as (select ${id}::uuid as id union all select m.id from ${messages} m join below b on m.parent_id = b.id) select id from below)`;
        const processes = await tx
          .delete(runningProcesses)
          .where(sql`${runningProcesses.messageId} in ${subtree}`)
          .returning();
        const gone = await tx.delete(messages).where(sql`${messages.id} in ${subtree}`).returning();
        const deleted = gone.find((row) => row.id === id);
        if (!deleted) throw notFound("Message", id);
        append([
          ...processChanges("delete", processes),
          ...messageChanges(
            "delete",
            gone.filter((row) => row.id !== id),
          ),
          ...messageChanges("delete", [deleted]),
        ]);
        return deleted;
      });
      withPosition(c, position);
      return c.json(toMessage(deleted), 200);
    });
