import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbKind = "postgres" | "pglite";

export interface DbHandle {
  db: Db;
  kind: DbKind;
  /** Applies the committed migrations; safe to call from several instances at once. */
  migrate(): Promise<void>;
  /**
   * LISTENs on `channel` on a connection of its own (one per call: callers keep one per
   * process), and keeps listening across lost connections. Resolves after the first attempt.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<Listener>;
  /** Closes the database, and every listener still open. */
  close(): Promise<void>;
}

export interface ListenHandlers {
  onNotify(payload: string): void;
  /**
   * Listening (again): after the first LISTEN and after every reconnection. Notifications
   * sent while the connection was down are lost, so this is where to catch up.
   */
  onListen(): void;
  /** The listening connection is down (or could not be opened); it is being retried. */
  onLost(error: unknown): void;
}

export interface Listener {
  close(): Promise<void>;
  /** Cuts the listening connection as a network failure would; it comes back by itself (for tests). */
  drop(): Promise<void>;
}

export interface DbEnv {
  /** A Postgres connection string; without it an embedded PGlite is used. */
  DATABASE_URL?: string | undefined;
  /** Where PGlite keeps its files (default ./.data); "memory://" keeps nothing. */
  DATA_DIR?: string | undefined;
  /** Postgres: a statement running longer is cancelled (`statement_timeout`, ms; default 30 s). */
  statementTimeoutMs?: number | undefined;
  /**
   * Postgres: a statement waiting longer for a lock fails (`lock_timeout`, ms; default 10 s),
   * the migration lock included, so an instance stuck holding it cannot hang another's start.
   */
  lockTimeoutMs?: number | undefined;
}

/**
 * The committed migrations: beside the built server's bundle (its build copies them to
 * dist/drizzle), else in this package, when the source runs.
 */
const migrationsFolder = [new URL("./drizzle", import.meta.url), new URL("../drizzle", import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((folder) => existsSync(join(folder, "meta", "_journal.json"))) as string;

/** Serialises migrations across server instances that start together. */
export const MIGRATION_LOCK = 7_405_311;

export function createDb(env: DbEnv): DbHandle {
  return env.DATABASE_URL
    ? createPostgres(env.DATABASE_URL, {
        statementTimeoutMs: env.statementTimeoutMs ?? 30_000,
        lockTimeoutMs: env.lockTimeoutMs ?? 10_000,
      })
    : createPglite(env.DATA_DIR ?? "./.data");
}

/** Seconds to wait for a connection to open before the attempt fails (and is retried). */
const CONNECT_TIMEOUT_S = 10;

function createPostgres(
  url: string,
  timeouts: { statementTimeoutMs: number; lockTimeoutMs: number },
): DbHandle {
  const client = postgres(url, {
    max: 10,
    onnotice: () => {},
    connect_timeout: CONNECT_TIMEOUT_S,
    connection: {
      application_name: "tandem",
      statement_timeout: timeouts.statementTimeoutMs,
      lock_timeout: timeouts.lockTimeoutMs,
    },
  });
  const db = drizzlePostgres({ client: preparing(client), schema }) as unknown as Db;
  const listeners = new Set<Listener>();
  return {
    db,
    kind: "postgres",
    async listen(channel, handlers) {
      const listener = await listenPostgres(url, client, channel, handlers);
      listeners.add(listener);
      return {
        drop: () => listener.drop(),
        close: async () => {
          listeners.delete(listener);
          await listener.close();
        },
      };
    },
    async migrate() {
      // One connection, so the advisory lock and the migration share a session.
      // Its statements may take long (an index on a big table); waiting for the lock may not.
      const migrator = postgres(url, {
        max: 1,
        onnotice: () => {},
        connect_timeout: CONNECT_TIMEOUT_S,
        connection: {
          application_name: "tandem migrate",
          statement_timeout: 0,
          lock_timeout: timeouts.lockTimeoutMs,
        },
      });
      try {
        await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migratePostgres(drizzlePostgres({ client: migrator }), { migrationsFolder });
        await migrator`select pg_advisory_unlock(${MIGRATION_LOCK})`;
      } finally {
        await migrator.end();
      }
    },
    async close() {
      await Promise.all([...listeners].map((listener) => listener.close()));
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * The client with every query that has parameters prepared. Drizzle sends its queries
 * through postgres.js's `unsafe`, which leaves them unprepared, and postgres.js describes
 * an unprepared query with parameters before it runs it: two round trips each. Prepared
 * (a named statement, kept per connection), a query is described once per connection
 * and then runs in one round trip, with its plan kept: 121 against 275 µs per query on
 * this machine (one connection, one at a time, warm). Transactions get the same through
 * `begin`'s and `savepoint`'s scoped clients.
 */
function preparing<T extends postgres.Sql | postgres.TransactionSql>(sql: T): T {
  // Made once per client, not at every property read: `unsafe` runs for every query.
  const unsafe = (
    query: string,
    args?: postgres.ParameterOrJSON<never>[],
    options?: postgres.UnsafeQueryOptions,
  ) => sql.unsafe(query, args, args?.length ? { prepare: true, ...options } : options);
  const scoped =
    (name: "begin" | "savepoint") =>
    (...args: unknown[]) => {
      const work = args.at(-1) as (scope: postgres.TransactionSql) => unknown;
      const open = Reflect.get(sql, name) as (...args: unknown[]) => unknown;
      return open(...args.slice(0, -1), (scope: postgres.TransactionSql) => work(preparing(scope)));
    };
  const begin = scoped("begin");
  const savepoint = scoped("savepoint");
  return new Proxy(sql, {
    get(target, key, receiver) {
      if (key === "unsafe") return unsafe;
      if (key === "begin") return begin;
      if (key === "savepoint") return savepoint;
      return Reflect.get(target, key, receiver);
    },
  });
}

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * postgres.js's own `sql.listen` re-listens when its connection closes, but at once and
 * without end: with the server unreachable it tried about 800 times a second. This keeps
 * one connection of its own and retries with a growing delay instead.
 */
async function listenPostgres(
  url: string,
  client: postgres.Sql,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listener> {
  let closed = false;
  let connecting = false;
  /** Set when the connection closes, so an attempt it cut short is not taken for a success. */
  let lost = false;
  let pid: number | undefined;
  // `onnotify` is how postgres.js's own listen gets notifications; its types leave it out.
  const options = {
    max: 1,
    idle_timeout: 0,
    connect_timeout: CONNECT_TIMEOUT_S,
    connection: { application_name: "tandem listen" },
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    onnotify: (name: string, payload: string) => {
      if (name === channel) handlers.onNotify(payload);
    },
    onclose: () => {
      if (closed) return;
      pid = undefined;
      lost = true;
      if (connecting) return;
      handlers.onLost(new Error("The listening connection closed"));
      void reconnect();
    },
  };
  const sql = postgres(url, options);
  const quoted = `"${channel.replaceAll('"', '""')}"`;

  /** One LISTEN on the connection (a new one if it was lost); false when it failed. */
  async function attempt(): Promise<boolean> {
    try {
      await sql.unsafe(`listen ${quoted}`);
      const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      pid = row?.pid;
      handlers.onListen();
      return true;
    } catch (error) {
      if (!closed) handlers.onLost(error);
      return false;
    }
  }

  async function reconnect() {
    connecting = true;
    for (let delay = RECONNECT_MIN_MS; !closed; delay = Math.min(RECONNECT_MAX_MS, delay * 2)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      lost = false;
      if (closed || ((await attempt()) && !lost)) break;
    }
    connecting = false;
  }

  connecting = true;
  const listening = await attempt();
  connecting = false;
  if (!listening) void reconnect();
  return {
    async close() {
      closed = true;
      await sql.end({ timeout: 1 });
    },
    async drop() {
      if (pid !== undefined) await client`select pg_terminate_backend(${pid})`;
    },
  };
}

function createPglite(dataDir: string): DbHandle {
  if (!dataDir.includes("://")) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir, { parsers: DRIZZLE_PARSERS });
  const db = drizzlePglite({ client: withoutQueryParsers(client), schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    listen: (channel, handlers) => listenPglite(client, channel, handlers),
    async migrate() {
      await migratePglite(drizzlePglite({ client }), { migrationsFolder });
    },
    close: () => client.close(),
  };
}

const asText = (value: string) => value;

/**
 * The result parsers Drizzle's PGlite driver asks for (drizzle-orm/pglite/session.js):
 * times, dates and intervals left as the text Postgres sends, the same for their arrays
 * (and for numeric[]). Drizzle's columns map that text themselves.
 */
const DRIZZLE_PARSERS: Record<number, (value: string) => unknown> = {
  [types.TIMESTAMP]: asText,
  [types.TIMESTAMPTZ]: asText,
  [types.INTERVAL]: asText,
  [types.DATE]: asText,
  1231: asText, // numeric[]
  1115: asText, // timestamp[]
  1185: asText, // timestamptz[]
  1187: asText, // interval[]
  1182: asText, // date[]
};

/**
 * The client as Drizzle sees it: its queries, in and out of transactions, without the
 * `parsers` Drizzle gives each one. PGlite merges a query's parsers into its whole
 * table of parsers for every result it reads: 70 of the 160 µs of a one-row query on
 * this machine. The client was made with those same parsers as its own
 * (`DRIZZLE_PARSERS`), so the rows are the same. A query asking for a parser the client
 * does not have throws rather than be read differently (a newer Drizzle, say).
 */
function withoutQueryParsers<T extends PGlite | Transaction>(client: T): T {
  const query = (sql: string, params?: unknown[], options?: { parsers?: Record<number, unknown> }) => {
    if (options?.parsers === undefined) return client.query(sql, params, options as never);
    const { parsers, ...rest } = options;
    for (const type in parsers) {
      if (parsers[Number(type)] !== undefined && !(type in DRIZZLE_PARSERS)) {
        throw new Error(
          `A query asks for a parser of type ${type}, which the PGlite client was not made with`,
        );
      }
    }
    return client.query(sql, params, rest as never);
  };
  const transaction = (work: (tx: Transaction) => Promise<unknown>) =>
    (client as PGlite).transaction((tx) => work(withoutQueryParsers(tx)));
  return new Proxy(client, {
    get(target, property) {
      if (property === "query") return query;
      if (property === "transaction" && "transaction" in target) return transaction;
      const value = Reflect.get(target, property);
      // On the client itself: PGlite's methods read its private fields.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** PGlite's NOTIFY is in-process; `drop` stops listening for a moment, as a lost connection would. */
async function listenPglite(client: PGlite, channel: string, handlers: ListenHandlers): Promise<Listener> {
  let closed = false;
  let unlisten: (() => Promise<void>) | undefined;

  async function connect() {
    const stop = await client.listen(channel, (payload) => handlers.onNotify(payload));
    if (closed) return stop();
    unlisten = () => stop();
    handlers.onListen();
  }

  await connect();
  return {
    async close() {
      closed = true;
      await unlisten?.();
      unlisten = undefined;
    },
    async drop() {
      const stop = unlisten;
      if (closed || !stop) return;
      unlisten = undefined;
      await stop();
      handlers.onLost(new Error("The listener was dropped"));
      setTimeout(() => {
        if (!closed) connect().catch((error) => handlers.onLost(error));
      }, 0);
    },
  };
}
