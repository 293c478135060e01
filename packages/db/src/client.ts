import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
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
  close(): Promise<void>;
}

export interface DbEnv {
  /** A Postgres connection string; without it an embedded PGlite is used. */
  DATABASE_URL?: string | undefined;
  /** Where PGlite keeps its files (default ./.data); "memory://" keeps nothing. */
  DATA_DIR?: string | undefined;
}

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Serialises migrations across server instances that start together. */
const MIGRATION_LOCK = 7_405_311;

export function createDb(env: DbEnv): DbHandle {
  return env.DATABASE_URL ? createPostgres(env.DATABASE_URL) : createPglite(env.DATA_DIR ?? "./.data");
}

function createPostgres(url: string): DbHandle {
  const client = postgres(url, { max: 10, onnotice: () => {} });
  const db = drizzlePostgres({ client, schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    async migrate() {
      // One connection, so the advisory lock and the migration share a session.
      const migrator = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migratePostgres(drizzlePostgres({ client: migrator }), { migrationsFolder });
        await migrator`select pg_advisory_unlock(${MIGRATION_LOCK})`;
      } finally {
        await migrator.end();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

function createPglite(dataDir: string): DbHandle {
  if (!dataDir.includes("://")) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  const db = drizzlePglite({ client, schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    async migrate() {
      await migratePglite(drizzlePglite({ client }), { migrationsFolder });
    },
    close: () => client.close(),
  };
}
