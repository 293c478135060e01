import type { Db } from "@tandem/db/client";
import { type SearchHit, type SearchResult, searchQuerySchema } from "@tandem/shared";
import { type SQL, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { rowsOf } from "../driver-rows.ts";
import { ApiError } from "../http/api-error.ts";
import type { AppEnv } from "../http/caller.ts";
import { queryParams } from "../http/validate.ts";

/**
 * Full-text search over the projects a caller is a member of: their names, then their
 * messages, each by rank. The vectors are the generated `search` columns of migration
 * 0008 (GIN-indexed, 'english': stemmed, stop words dropped); the query is read by
 * `websearch_to_tsquery`, which takes any text without a syntax error.
 *
 * Order: project hits first, then message hits; within each, `ts_rank` descending, then
 * newest first, then id. A cursor is the last hit's place in that order (kind, rank as
 * Postgres prints it, time to the microsecond, id), so a page never repeats or skips a
 * hit whatever is written meanwhile (a hit that is edited may move, as in any search).
 */

const config = sql.raw("'english'::regconfig");

/** Snippets: a short text whole, a long one as a couple of fragments around its matches. */
const SHORT_TEXT = 280;
const wholeHeadline = sql.raw(`'StartSel=<mark>, StopSel=</mark>, HighlightAll=true'`);
const fragmentHeadline = sql.raw(
  `'StartSel=<mark>, StopSel=</mark>, MaxWords=24, MinWords=10, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'`,
);

/**
 * The text escaped before it is marked, so the snippet's only markup is the marks: the
 * parser reads `&lt;` as one entity token, so a fragment never cuts one, and the
 * escaping leaves every word (and so every match) as it was.
 */
const escaped = (column: SQL) =>
  sql`replace(replace(replace(replace(replace(${column}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')`;

/** Wire time (milliseconds, UTC) and the cursor's key (microseconds: stored times are). */
const wireTime = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const keyTime = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const cursorSchema = z.strictObject({
  /** 0: a project hit, 1: a message hit. */
  k: z.union([z.literal(0), z.literal(1)]),
  r: z.string().regex(/^\d+(\.\d+)?(e-?\d+)?$/),
  t: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
  i: z.uuid(),
});
type Cursor = z.infer<typeof cursorSchema>;

function readCursor(text: string): Cursor {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
  } catch {
    throw new ApiError("invalid_input", "The request query is not valid", {
      details: [{ path: "cursor", message: "is not a cursor of this search: start again without one" }],
    });
  }
}

const writeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString("base64url");

interface HitRow {
  project_id: string;
  project_name: string;
  message_id: string | null;
  role: SearchHit["role"];
  created_at: string;
  time_key: string;
  rank_key: string;
  snippet: string;
}

export const searchRoutes = (db: Db) =>
  new Hono<AppEnv>().get("/", queryParams(searchQuerySchema), async (c) => {
    const { q, limit, cursor: cursorText } = c.req.valid("query");
    const cursor = cursorText === undefined ? undefined : readCursor(cursorText);
    // One statement, outside a transaction: in local mode it is the request's only round
    // trip (in accounts mode the session is read first).
    const { user } = await c.var.access.caller(db);
    const query = sql`websearch_to_tsquery(${config}, ${q})`;
    const after = (kind: 0 | 1, rank: SQL, createdAt: SQL, id: SQL) =>
      cursor?.k === kind
        ? sql`and (${rank}, ${createdAt}, ${id}) < (${cursor.r}::real, ${cursor.t}::timestamptz, ${cursor.i}::uuid)`
        : sql``;
    // Project hits come first: a cursor among the messages skips them.
    const projectHits =
      cursor?.k === 1
        ? sql``
        : sql`
          (select 0 as kind, p.id as project_id, p.name as project_name, null::uuid as message_id, null as role,
            p.created_at, ts_rank(p.search, ${query}) as rank,
            ts_headline(${config}, ${escaped(sql`p.name`)}, ${query}, ${wholeHeadline}) as snippet
          from projects p
          join project_members pm on pm.project_id = p.id and pm.user_id = ${user.id}
          where p.search @@ ${query} ${after(0, sql`ts_rank(p.search, ${query})`, sql`p.created_at`, sql`p.id`)}
          order by rank desc, p.created_at desc, p.id desc
          limit ${limit + 1})
          union all`;
    // Ranked over every match the caller may see; the (costly) snippets only for the page.
    const found = await db.execute(sql`
      with page as (
        select m.id, m.project_id, m.role, m.created_at, ts_rank(m.search, ${query}) as rank
        from messages m
        join project_members pm on pm.project_id = m.project_id and pm.user_id = ${user.id}
        where m.search @@ ${query} ${after(1, sql`ts_rank(m.search, ${query})`, sql`m.created_at`, sql`m.id`)}
        order by rank desc, m.created_at desc, m.id desc
        limit ${limit + 1}
      ),
      hits as (
        ${projectHits}
        (select 1 as kind, page.project_id, p.name as project_name, page.id as message_id, page.role,
          page.created_at, page.rank,
          ts_headline(${config}, ${escaped(sql`m.content`)}, ${query},
            case when length(m.content) <= ${SHORT_TEXT} then ${wholeHeadline} else ${fragmentHeadline} end) as snippet
        from page
        join messages m on m.id = page.id
        join projects p on p.id = page.project_id)
      )
      select project_id, project_name, message_id, role, ${wireTime(sql`created_at`)} as created_at,
        ${keyTime(sql`created_at`)} as time_key, rank::text as rank_key, snippet
      from hits
      order by kind, rank desc, hits.created_at desc, coalesce(message_id, project_id) desc
      limit ${limit + 1}`);
    const rows = rowsOf<HitRow>(found);
    if (rows.length === 0) await requireWords(db, q);

    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > limit && last
        ? writeCursor({
            k: last.message_id === null ? 0 : 1,
            r: last.rank_key,
            t: last.time_key,
            i: last.message_id ?? last.project_id,
          })
        : null;
    const result: SearchResult = {
      hits: page.map((row) => ({
        kind: row.message_id === null ? "project" : "message",
        projectId: row.project_id,
        projectName: row.project_name,
        messageId: row.message_id,
        role: row.role,
        createdAt: row.created_at,
        snippet: row.snippet,
      })),
      nextCursor,
    };
    return c.json(result);
  });

/**
 * A search that found nothing: 400 when it had no words to look for (only stop words,
 * punctuation or operators), so a client can say so rather than "No results".
 */
async function requireWords(db: Db, q: string) {
  const [row] = rowsOf<{ words: number }>(
    await db.execute(sql`select numnode(websearch_to_tsquery(${config}, ${q})) as words`),
  );
  if (Number(row?.words ?? 0) === 0) {
    throw new ApiError("invalid_input", "The search has no words to look for", {
      details: [
        { path: "q", message: "has no words to search for (only common words, symbols or operators)" },
      ],
    });
  }
}
