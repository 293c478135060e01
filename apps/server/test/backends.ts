import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDb, type DbEnv, type DbHandle, type DbKind } from "@tandem/db/client";
import postgres from "postgres";
import { afterAll, beforeAll } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant, type AssistantOptions } from "../src/assistant/assistant.ts";
import type { AuthOptions } from "../src/auth/auth-service.ts";
import { FeedHub, type FeedOptions } from "../src/feed/hub.ts";

const serverUrl = process.env.DATABASE_URL || undefined;

/** The cookie-signing secret of test servers in accounts mode. */
export const TEST_AUTH_SECRET = "test-secret-that-is-at-least-32-characters-long";

/** PGlite always; Postgres too when DATABASE_URL names a server the tests may create databases on. */
export const backends: readonly DbKind[] = serverUrl ? ["pglite", "postgres"] : ["pglite"];

/** A database of its own: the env that opens it (again and again), and its removal. */
export interface TestDatabase {
  env: DbEnv;
  drop(): Promise<void>;
}

/**
 * A new, empty database. PGlite lives in memory unless `onDisk` (then in a temp DATA_DIR,
 * so it can be reopened); Postgres gets a uniquely named database on DATABASE_URL's server.
 */
export async function createTestDatabase(kind: DbKind, { onDisk = false } = {}): Promise<TestDatabase> {
  if (kind === "pglite") {
    if (!onDisk) return { env: { DATA_DIR: "memory://" }, drop: async () => {} };
    const dir = await mkdtemp(join(tmpdir(), "tandem-test-"));
    return { env: { DATA_DIR: dir }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  if (!serverUrl) throw new Error("Postgres tests need DATABASE_URL");
  const name = `tandem_test_${randomBytes(6).toString("hex")}`;
  await withServer((sql) => sql`create database ${sql(name)}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.href },
    drop: () => withServer((sql) => sql`drop database if exists ${sql(name)} with (force)`),
  };
}

/** Runs one statement on the server's `postgres` database, where CREATE/DROP DATABASE may run. */
async function withServer(statement: (sql: postgres.Sql) => Promise<unknown>) {
  const url = new URL(serverUrl ?? "");
  url.pathname = "/postgres";
  const sql = postgres(url.href, { max: 1, onnotice: () => {} });
  try {
    await statement(sql);
  } finally {
    await sql.end();
  }
}

/** Opens a handle on the database and applies the migrations, as the server does at start. */
export async function openDb(env: DbEnv): Promise<DbHandle> {
  const handle = createDb(env);
  await handle.migrate();
  return handle;
}

export interface TestServer {
  /** The app under test, answering `app.request(path, init)` without a network. */
  readonly app: ReturnType<typeof createApp>;
  /** The handle the app writes through, to check what was stored. */
  readonly handle: DbHandle;
  /** The app's assistant (its generations are interrupted after the last test). */
  readonly assistant: Assistant;
  /** The app's change feed hub (closed after the last test). */
  readonly feed: FeedHub;
}

/**
 * Gives the calling `describe` block a fresh, migrated database of `kind` and an app on it,
 * created before its first test and removed after its last. `assistant` configures the
 * app's assistant (a scripted model, short intervals); by default it is the offline one.
 * `feed` configures its change feed hub (short keep-alives, a small memory). `auth`
 * chooses the mode: local (the default: every request is the local owner's) or accounts
 * (`TEST_AUTH_SECRET` unless given; sign people up with `signUp` from accounts.ts).
 */
export function useTestServer(
  kind: DbKind,
  {
    assistant: options,
    feed: feedOptions,
    auth,
    feedConnectionsPerUser,
    importMaxBytes,
  }: {
    assistant?: AssistantOptions;
    feed?: FeedOptions;
    auth?: AuthOptions;
    feedConnectionsPerUser?: number;
    importMaxBytes?: number;
  } = {},
): TestServer {
  let database: TestDatabase | undefined;
  let handle: DbHandle | undefined;
  let app: ReturnType<typeof createApp> | undefined;
  let assistant: Assistant | undefined;
  let feed: FeedHub | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    handle = await openDb(database.env);
    feed = new FeedHub(handle, feedOptions);
    assistant = new Assistant(handle, { ...options, feed });
    const authOptions = auth?.mode === "accounts" ? { secret: TEST_AUTH_SECRET, ...auth } : auth;
    app = createApp({
      db: handle,
      feed,
      assistant,
      auth: authOptions,
      feedConnectionsPerUser,
      importMaxBytes,
    });
  });

  afterAll(async () => {
    await assistant?.shutdown();
    await feed?.close();
    await handle?.close();
    await database?.drop();
  });

  return {
    get app() {
      if (!app) throw new Error("The test server is not up: use it inside a test or hook");
      return app;
    },
    get handle() {
      if (!handle) throw new Error("The test server is not up: use it inside a test or hook");
      return handle;
    },
    get assistant() {
      if (!assistant) throw new Error("The test server is not up: use it inside a test or hook");
      return assistant;
    },
    get feed() {
      if (!feed) throw new Error("The test server is not up: use it inside a test or hook");
      return feed;
    },
  };
}
