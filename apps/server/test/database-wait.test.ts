import { randomBytes, randomUUID } from "node:crypto";
import { MIGRATION_LOCK } from "@tandem/db/client";
import { errorBodySchema } from "@tandem/shared";
import postgres from "postgres";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { FeedReader } from "./feed.ts";
import { killStarted, type RunningServer, SERVER_START_MS, startServer } from "./processes.ts";

/** The same Postgres server, another database on it (without DATABASE_URL the tests are skipped: any URL will do). */
function urlOf(database: string): string {
  const url = new URL(process.env.DATABASE_URL || "postgres://127.0.0.1:5432/postgres");
  url.pathname = `/${database}`;
  return url.href;
}

const nameOf = (url: string) => new URL(url).pathname.slice(1);

async function send(server: RunningServer, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { origin: server.url, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** The answer's error code, when it is the error envelope. */
const codeOf = (body: unknown) => errorBodySchema.safeParse(body).data?.error.code;

/** The server's log records that say a try to reach the database failed. */
const failedTries = (server: RunningServer) =>
  server
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg: string })
    .filter((record) => /is unavailable \(try \d+/.test(record.msg));

// Only Postgres can be missing, created later, or stop taking connections.
describe.skipIf(!backends.includes("postgres"))("a server waiting for its Postgres database", () => {
  const admin = postgres(urlOf("postgres"), { max: 1, onnotice: () => {} });
  const servers: RunningServer[] = [];
  const databases: TestDatabase[] = [];
  const created: string[] = [];

  const start = async (env: Record<string, string | undefined>, ready = true) => {
    const server = await startServer({ DATABASE_RETRY_MAX_MS: "500", ...env }, { ready });
    servers.push(server);
    return server;
  };

  afterEach(() => killStarted(servers));

  afterAll(async () => {
    for (const name of created) await admin`drop database if exists ${admin(name)} with (force)`;
    for (const database of databases) await database.drop();
    await admin.end();
  });

  test(
    "started before its database exists: 503 naming it, one log line per try, then serves once it is created",
    async () => {
      const name = `tandem_test_wait_${randomBytes(6).toString("hex")}`;
      const server = await start({ DATABASE_URL: urlOf(name) }, false);

      const health = await send(server, "GET", "/api/health");
      expect(health.status).toBe(503);
      expect(codeOf(health.body)).toBe("database_unavailable");
      expect(JSON.stringify(health.body)).toContain(`\\"${name}\\"`);
      for (const [method, path, body] of [
        ["GET", "/api/projects", undefined],
        ["POST", "/api/projects", { id: randomUUID(), name: "Too early" }],
        ["GET", "/api/changes", undefined],
        ["GET", "/api/session", undefined],
      ] as const) {
        const answer = await send(server, method, path, body);
        expect({ path, status: answer.status, code: codeOf(answer.body) }).toEqual({
          path,
          status: 503,
          code: "database_unavailable",
        });
      }
      const tries = await waitFor("two failed tries in the log", () => {
        const found = failedTries(server);
        return found.length >= 2 && found;
      });
      expect(tries.slice(0, 2).map((record) => /try (\d+)/.exec(record.msg)?.[1])).toEqual(["1", "2"]);

      created.push(name);
      await admin`create database ${admin(name)}`;
      await waitFor(
        "the server to serve",
        async () => (await send(server, "GET", "/api/health")).status === 200,
        { timeoutMs: SERVER_START_MS },
      );
      const project = await send(server, "POST", "/api/projects", { id: randomUUID(), name: "In time" });
      expect(project.status).toBe(201);
      expect(server.output()).toMatch(/is available \(try \d+\)/);
    },
    2 * SERVER_START_MS,
  );

  test(
    "loses its database mid-run: 503 meanwhile, then serves again, and its feed stays exact",
    async () => {
      const database = await createTestDatabase("postgres");
      databases.push(database);
      const url = database.env.DATABASE_URL ?? "";
      const name = nameOf(url);
      const env = { DATABASE_URL: url, FEED_KEEPALIVE_MS: "200" };
      const [a, b] = await Promise.all([start(env), start(env)]);
      if (!a || !b) throw new Error("Two servers were started");

      const feed = new FeedReader(await fetch(`${a.url}/api/changes`));
      const ready = await feed.nextEvent();
      expect(ready.type).toBe("ready");
      const before = await send(a, "POST", "/api/projects", { id: randomUUID(), name: "Before" });
      expect(before.status).toBe(201);
      const first = await feed.nextChange();

      // The database stops taking connections and ends the ones it has, as a failover would.
      await admin`alter database ${admin(name)} allow_connections false`;
      try {
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name}`;
        await waitFor("A to answer 503", async () => (await send(a, "GET", "/api/health")).status === 503);
        const refused = await send(a, "POST", "/api/projects", { id: randomUUID(), name: "Refused" });
        expect({ status: refused.status, code: codeOf(refused.body) }).toEqual({
          status: 503,
          code: "database_unavailable",
        });
      } finally {
        await admin`alter database ${admin(name)} allow_connections true`;
      }

      // Written through B as soon as it can: A's listener may not be back yet, so A's
      // feed finds it by reading the log from where it was.
      const third = randomUUID();
      await waitFor(
        "B to write again",
        async () => (await send(b, "POST", "/api/projects", { id: third, name: "Through B" })).status === 201,
        { timeoutMs: SERVER_START_MS },
      );
      await waitFor("A to serve again", async () => (await send(a, "GET", "/api/health")).status === 200, {
        timeoutMs: SERVER_START_MS,
      });
      const fourth = randomUUID();
      expect((await send(a, "POST", "/api/projects", { id: fourth, name: "Through A" })).status).toBe(201);

      const after = await feed.changes(2);
      expect(after.map((change) => change.event.id)).toEqual([third, fourth]);
      const logged = postgres(url, { max: 1, onnotice: () => {} });
      try {
        const rows = await logged<{ position: string; id: string }[]>`
          select position::text as position, id::text as id from change_log
          where position > ${first.id} order by position`;
        expect(after.map((change) => ({ position: change.id, id: change.event.id }))).toEqual(rows);
      } finally {
        await logged.end();
      }
      const projects = await send(a, "GET", "/api/projects");
      expect((projects.body as { name: string }[]).map((project) => project.name).sort()).toEqual([
        "Before",
        "Through A",
        "Through B",
      ]);
      await feed.close();
    },
    3 * SERVER_START_MS,
  );

  test(
    "a migration lock held elsewhere fails the try after DATABASE_LOCK_TIMEOUT, and the server starts once it is free",
    async () => {
      const database = await createTestDatabase("postgres");
      databases.push(database);
      const url = database.env.DATABASE_URL ?? "";
      const holder = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await holder`select pg_advisory_lock(${MIGRATION_LOCK})`;
        const server = await start({ DATABASE_URL: url, DATABASE_LOCK_TIMEOUT: "300ms" }, false);
        const tries = await waitFor("a try that timed out on the lock", () => {
          const found = failedTries(server).filter((record) => record.msg.includes("55P03"));
          return found.length >= 1 && found;
        });
        expect(tries[0]?.msg).toContain("lock timeout");
        expect((await send(server, "GET", "/api/health")).status).toBe(503);

        await holder`select pg_advisory_unlock(${MIGRATION_LOCK})`;
        await waitFor(
          "the server to serve",
          async () => (await send(server, "GET", "/api/health")).status === 200,
          { timeoutMs: SERVER_START_MS },
        );
      } finally {
        await holder.end();
      }
    },
    2 * SERVER_START_MS,
  );
});
