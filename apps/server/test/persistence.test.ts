import type { DbHandle } from "@tandem/db/client";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { FeedHub } from "../src/feed/hub.ts";
import { backends, createTestDatabase, openDb, type TestDatabase } from "./backends.ts";
import { call, createMessage, createProject } from "./http.ts";
import { MIGRATE_MS } from "./migrations.ts";

describe.each(backends)("a restart on %s", (kind) => {
  let database: TestDatabase | undefined;
  let handle: DbHandle | undefined;

  /** What a server (re)start does: close the old handle, open and migrate a new one. */
  async function restart() {
    if (!database) throw new Error("No database yet");
    await handle?.close();
    handle = await openDb(database.env);
    return { app: createApp({ db: handle, feed: new FeedHub(handle) }), handle };
  }

  beforeAll(async () => {
    // PGlite on disk this time: memory:// does not outlive its handle.
    database = await createTestDatabase(kind, { onDisk: true });
  });

  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  // Each restart migrates (the second finds nothing to do, but opens PGlite again): its timeout counts both.
  test(
    "keeps what was written before it, and migrating again changes nothing",
    async () => {
      const before = await restart();
      const project = await createProject(before, { name: "Survivor" });
      const message = await createMessage(before, project.id, { content: "Still here?" });

      const after = await restart();
      expect(await call(after, "GET", "/api/projects")).toEqual({ status: 200, body: [project] });
      expect(await call(after, "GET", `/api/projects/${project.id}/messages`)).toEqual({
        status: 200,
        body: [message],
      });
      const renamed = await call(after, "PATCH", `/api/projects/${project.id}`, {
        name: "Renamed",
        version: 1,
      });
      expect(renamed.status).toBe(200);
    },
    2 * MIGRATE_MS,
  );
});
