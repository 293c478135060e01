/**
 * The API-throughput baseline: the same writes and reads as Tandem's `POST /api/messages`
 * and `GET /api/projects/:id/messages?limit=`, with no Tandem on top. The SQL is what
 * Tandem sends, in the same transactions: the project's tree lock (sends to one project
 * take turns), the insert after the project's newest message (its foreign key is the
 * project check) and the change-log append (`tandem_append_changes`: the feed lock, the
 * entry, the NOTIFY), five round trips; the snapshot read with its feed position. Behind bare
 * node:http, with no framework, validation, ORM or feed reader. With DATABASE_URL it uses
 * postgres.js (a pool of 10, like Tandem) on that database; else an embedded PGlite in
 * DATA_DIR, migrated like Tandem's and seeded here.
 */
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { PGlite } from "@electric-sql/pglite";
import { createDb } from "@tandem/db/client";
import { LOCAL_OWNER } from "@tandem/shared";
import postgres from "postgres";

const port = Number(process.env.PORT ?? 4102);
const projectId = process.env.PROJECT_ID ?? randomUUID();

const SELECT_PROJECT = `select "id" from "projects" where "projects"."id" = $1`;
const COLUMNS = `"id", "project_id", "parent_id", "role", "content", "parts", "status", "error", "created_at", "updated_at", "version"`;
const LOCK_TREE = `select 1 from "projects" p where p.id = $1 for no key update`;
const AT = `greatest(clock_timestamp(), (select created_at from parent) + interval '1 microsecond')`;
const INSERT_MESSAGE = `with parent as (select m.id, m.created_at from "messages" m where m.project_id = $2 order by m.created_at desc, m.id desc limit 1) insert into "messages" ("id", "project_id", "parent_id", "role", "content", "parts", "created_at", "updated_at") values ($1, $2, (select id from parent), $3, $4, $5, ${AT}, ${AT}) on conflict ("id") do nothing returning ${COLUMNS}`;
const SELECT_MESSAGES = `select ${COLUMNS} from "messages" where "messages"."project_id" = $1 order by "messages"."created_at" asc, "messages"."id" asc limit $2`;
const APPEND_CHANGES = `select array_to_string(positions, ',') as positions, follows::text as follows from tandem_append_changes($1::jsonb, null::bigint, 7405312, 'tandem_changes')`;
const SNAPSHOT = `set transaction isolation level repeatable read, read only`;
const HEAD = `select greatest(coalesce(max("change_log"."position"), 0), coalesce((select max("change_log_trim"."trimmed_through") from "change_log_trim"), 0)) from "change_log"`;

type Row = Record<string, unknown>;
/** Runs statements in one transaction. */
type Transaction = <T>(
  work: (query: (text: string, params: unknown[]) => Promise<Row[]>) => Promise<T>,
) => Promise<T>;

async function connect(): Promise<Transaction> {
  if (process.env.DATABASE_URL) {
    const sql = postgres(process.env.DATABASE_URL, { max: 10, onnotice: () => {} });
    return (work) =>
      sql.begin((tx) =>
        work((text, params) => tx.unsafe(text, params as postgres.ParameterOrJSON<never>[])),
      ) as never;
  }
  const dataDir = process.env.DATA_DIR ?? "memory://";
  const handle = createDb({ DATA_DIR: dataDir });
  await handle.migrate();
  await handle.close();
  const db = new PGlite(dataDir);
  // Owned by the local owner, as Tandem's own projects are in AUTH=local.
  await db.query(
    `insert into projects (id, name, owner_id) values ($1, 'Baseline', $2) on conflict do nothing`,
    [projectId, LOCAL_OWNER.id],
  );
  for (let i = 0; i < 200; i++) {
    await db.query(INSERT_MESSAGE, [
      randomUUID(),
      projectId,
      "user",
      `seed ${i}`,
      [{ type: "text", text: `seed ${i}` }],
    ]);
  }
  return (work) =>
    db.transaction((tx) => work(async (text, params) => (await tx.query<Row>(text, params)).rows));
}

const toMessage = (row: Row) => ({
  id: row.id,
  projectId: row.project_id,
  parentId: row.parent_id,
  role: row.role,
  content: row.content,
  parts: row.parts,
  status: row.status,
  error: row.error,
  createdAt: (row.created_at as Date).toISOString(),
  updatedAt: (row.updated_at as Date).toISOString(),
  version: row.version,
});

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

const transaction = await connect();

createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/health") return reply(res, 200, { ok: true });
    if (req.method === "POST" && url.pathname === "/api/messages") {
      let raw = "";
      for await (const piece of req) raw += piece;
      const body = JSON.parse(raw) as { id: string; projectId: string; content: string };
      const parts = [{ type: "text", text: body.content }];
      const message = await transaction(async (query) => {
        if ((await query(LOCK_TREE, [body.projectId])).length === 0) return undefined;
        const [created] = await query(INSERT_MESSAGE, [body.id, body.projectId, "user", body.content, parts]);
        if (!created) return undefined;
        const message = toMessage(created);
        // The log stores a plain message without its parts (they are its text).
        const { parts: _, ...entry } = message;
        const entries = [
          { entity: "message", op: "upsert", id: message.id, project_id: message.projectId, row: entry },
        ];
        // Handed over as a value, so each driver encodes it once (postgres.js would
        // encode a string again: a JSON string, which the append refuses).
        await query(APPEND_CHANGES, [entries]);
        return message;
      });
      return message ? reply(res, 201, message) : reply(res, 404, { error: { code: "not_found" } });
    }
    const list = /^\/api\/projects\/([^/]+)\/messages$/.exec(url.pathname);
    if (req.method === "GET" && list) {
      const limit = Number(url.searchParams.get("limit") ?? 1000);
      const snapshot = await transaction(async (query) => {
        await query(SNAPSHOT, []);
        const [project] = await query(SELECT_PROJECT, [list[1]]);
        if (!project) return undefined;
        const rows = await query(SELECT_MESSAGES, [list[1], limit]);
        const [head] = await query(HEAD, []);
        return { rows, head: String(head?.greatest) };
      });
      if (!snapshot) return reply(res, 404, { error: { code: "not_found" } });
      res.setHeader("x-feed-position", snapshot.head);
      return reply(res, 200, snapshot.rows.map(toMessage));
    }
    reply(res, 404, { error: { code: "not_found" } });
  } catch (error) {
    console.error(error);
    reply(res, 500, { error: { code: "internal" } });
  }
}).listen(port, "127.0.0.1", () => console.log(`baseline on ${port}, project ${projectId}`));
