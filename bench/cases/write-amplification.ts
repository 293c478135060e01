import { FEED_READY_EVENT } from "@tandem/shared";
import { EventSource } from "eventsource";
import type postgres from "postgres";
import { sleep } from "../lib/processes.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const TARGET = 0.05;
const BYTES_TARGET = 2;
/** The server's default GENERATION_HEARTBEAT_MS (the bench does not change it). */
const HEARTBEAT_MS = 2000;

/**
 * Counts every row written in the database while one reply streams, with a row-level
 * trigger on each table (Postgres only: the bench's own database, dropped after), and
 * the bytes of the change-log rows inserted (their `row` as JSON text).
 */
async function countWrites<T>(
  sql: postgres.Sql,
  during: () => Promise<T>,
): Promise<{ result: T; writes: Record<string, number>; logBytesWritten: number }> {
  const tables = (
    await sql<{ name: string }[]>`
    select tablename as name from pg_tables where schemaname = 'public' and tablename not like '%migrations%'`
  ).map((row) => row.name);
  await sql`create table bench_writes (tbl text, op text, bytes int)`;
  // to_jsonb(NEW): a field every table does not have cannot be named in a shared trigger.
  await sql.unsafe(`create function bench_count() returns trigger language plpgsql as $$
    begin
      insert into bench_writes values (tg_table_name, tg_op,
        case when tg_op in ('INSERT', 'UPDATE') then octet_length((to_jsonb(NEW) -> 'row')::text) end);
      return null;
    end $$`);
  for (const table of tables) {
    await sql.unsafe(`create trigger bench_count after insert or update or delete on "${table}"
      for each row execute function bench_count()`);
  }
  try {
    const result = await during();
    const rows = await sql<{ key: string; n: number }[]>`
      select tbl || ' ' || lower(op) as key, count(*)::int as n from bench_writes group by 1 order by 1`;
    const [logged] = await sql<{ bytes: number }[]>`
      select coalesce(sum(bytes), 0)::int as bytes from bench_writes where tbl = 'change_log'`;
    return {
      result,
      writes: Object.fromEntries(rows.map((row) => [row.key, row.n])),
      logBytesWritten: logged?.bytes ?? 0,
    };
  } finally {
    for (const table of tables) await sql.unsafe(`drop trigger bench_count on "${table}"`);
    await sql`drop function bench_count()`;
    await sql`drop table bench_writes`;
  }
}

/** Counts the change-feed events of one project while `during` runs: one change_log row each. */
async function countFeedEvents<T>(url: string, projectId: string, during: () => Promise<T>) {
  const source = new EventSource(`${url}/api/changes`);
  let events = 0;
  source.onmessage = (event) => {
    if ((JSON.parse(event.data) as { projectId: string }).projectId === projectId) events++;
  };
  await new Promise((resolve) => source.addEventListener(FEED_READY_EVENT, resolve, { once: true }));
  try {
    const result = await during();
    await sleep(500);
    return { result, events };
  } finally {
    source.close();
  }
}

/**
 * Database writes per streamed token during a 1,000-token reply (5 s, quick too). With
 * Postgres every row written is counted by triggers; with PGlite (held by the server)
 * it is read off the reply row: its final version (one per UPDATE) plus the inserts,
 * the process row's writes (insert, a heartbeat every 2 s, the end) and the change-log
 * rows (one per feed event of the project).
 *
 * And, on Postgres, the change-log bytes a 1,000-token reply leaves: its rows' `row`
 * (JSON text) for the reply and its process, per byte of the reply's final text.
 */
export const writeAmplification: BenchCase = {
  name: "write-amplification",
  async run({ api, stack, feed }) {
    const tokens = 1000;
    const project = await api.createProject("Bench write amplification");
    const send = async () => {
      const started = performance.now();
      const chat = await api.chat(project.id, `amplify [tokens:${tokens}]`);
      return { ...chat, ms: performance.now() - started };
    };
    let writes: Record<string, number>;
    let deltas: number;
    let how: string;
    let bytesRow: Row = {
      case: `change-log bytes per reply byte (${tokens} tokens)`,
      n: 0,
      unit: "×",
      target: `≤ ${BYTES_TARGET}`,
      status: "skipped",
      note: "Postgres only (PGlite is held by the server)",
    };
    let logBytes: Record<string, number> | undefined;
    if (stack.database.kind === "postgres") {
      const { sql } = stack.database;
      const counted = await countWrites(sql, send);
      writes = counted.writes;
      deltas = counted.result.deltas;
      how = "every row written, by trigger";
      const { reply } = counted.result;
      const [held] = await sql<{ bytes: number }[]>`
        select coalesce(sum(octet_length(row::text)), 0)::int as bytes from change_log
        where id = ${reply.id} or (entity = 'running_process' and row ->> 'messageId' = ${reply.id})`;
      const text = Buffer.byteLength(reply.content);
      const ratio = (held?.bytes ?? 0) / text;
      logBytes = { replyText: text, held: held?.bytes ?? 0, written: counted.logBytesWritten };
      bytesRow = {
        ...bytesRow,
        n: text,
        p50: ratio,
        status: pass(ratio <= BYTES_TARGET),
        note: `${held?.bytes} bytes held for ${text} bytes of text; ${counted.logBytesWritten} written to the log during the reply (each batch moves the last)`,
      };
    } else {
      const counted = feed
        ? await countFeedEvents(stack.url, project.id, send)
        : { result: await send(), events: 0 };
      const { reply, deltas: d, ms } = counted.result;
      deltas = d;
      writes = {
        "change_log insert (feed events)": counted.events,
        "messages insert": 2,
        "messages update (reply version − 1)": reply.version - 1,
        "running_processes insert": 1,
        "running_processes update (heartbeats + end)": Math.floor(ms / HEARTBEAT_MS) + 1,
      };
      how = "from the reply's version and the feed";
    }
    const total = Object.values(writes).reduce((sum, n) => sum + n, 0);
    const perToken = total / deltas;
    return {
      rows: [
        {
          case: `write amplification (${tokens} tokens)`,
          n: deltas,
          unit: "writes/token",
          p50: perToken,
          target: `≤ ${TARGET}`,
          status: pass(perToken <= TARGET),
          note: `${total} writes; ${how}`,
        },
        bytesRow,
      ],
      details: { tokens: deltas, writes, logBytes },
    };
  },
};
