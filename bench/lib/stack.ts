import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DbEnv } from "@tandem/db/client";
import { builtServerEntry, ensureServerBuilt } from "@tandem/testing/built-server";
import postgres from "postgres";
import { type Child, freePort, onCleanup, startNode } from "./processes.ts";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const webDist = join(repoRoot, "apps/web/dist");

/** Where the benchmarked server keeps its data: a fresh one per run, removed after. */
export type Database =
  | { kind: "pglite"; dataDir: string }
  | { kind: "postgres"; url: string; sql: postgres.Sql };

export interface Stack {
  /** The Tandem server, e.g. http://127.0.0.1:4100 (BENCH_PORT) */
  url: string;
  server: Child;
  modelUrl: string;
  database: Database;
}

/** A fresh database: a new one on the DATABASE_URL server, else a new PGlite directory. */
export async function freshDatabase(): Promise<Database> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const dataDir = mkdtempSync(join(tmpdir(), "tandem-bench-"));
    onCleanup(async () => rmSync(dataDir, { recursive: true, force: true }));
    return { kind: "pglite", dataDir };
  }
  const name = `tandem_bench_${process.pid}_${Date.now()}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 2, onnotice: () => {} });
  onCleanup(async () => {
    await sql.end({ timeout: 5 });
    const dropper = postgres(base, { max: 1, onnotice: () => {} });
    await dropper.unsafe(`drop database if exists "${name}" with (force)`);
    await dropper.end();
  });
  return { kind: "postgres", url: url.toString(), sql };
}

export const databaseEnv = (database: Database): Record<string, string> =>
  database.kind === "postgres" ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir };

export async function startModel(): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = await startNode(
    join(repoRoot, "packages/testing/src/scripted-model/main.ts"),
    { PORT: String(port), TOKEN_DELAY_MS: "5" },
    `http://127.0.0.1:${port}/health`,
  );
  return { url: `http://127.0.0.1:${port}/v1`, child };
}

/**
 * Tandem's server as `pnpm start` runs it: the production build (`apps/server/dist`),
 * rebuilt first when it is missing or older than its sources.
 */
export function builtServer(): { script: string; nodeArgs: string[] } {
  ensureServerBuilt();
  return { script: builtServerEntry, nodeArgs: ["--enable-source-maps"] };
}

/** Starts Tandem's own server (its production build, `builtServer`) on a free port, against `database`. */
export async function startStack(
  options: {
    nodeArgs?: string[];
    env?: Record<string, string>;
    /** Writes into the fresh database before the server opens it (PGlite allows one process). */
    seed?: (env: DbEnv) => Promise<void>;
  } = {},
): Promise<Stack> {
  const database = await freshDatabase();
  await options.seed?.(
    database.kind === "postgres" ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir },
  );
  const model = await startModel();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const built = builtServer();
  const server = await startNode(
    built.script,
    {
      PORT: String(port),
      HOST: "127.0.0.1",
      AI_BASE_URL: model.url,
      AI_MODEL: "bench",
      // The bench is one user (the local owner) sending, and listening, far more than a
      // person would (feed-fan-out holds a thousand feed connections).
      CHAT_MAX_RUNNING: "1000",
      CHAT_DAILY_LIMIT: "1000000",
      FEED_MAX_CONNECTIONS_PER_USER: "100000",
      ...databaseEnv(database),
      ...options.env,
    },
    `${url}/api/health`,
    { nodeArgs: [...built.nodeArgs, ...(options.nodeArgs ?? [])], timeoutMs: 90_000 },
  );
  if (!existsSync(join(webDist, "index.html"))) throw new Error("apps/web/dist is missing");
  return { url, server, modelUrl: model.url, database };
}
