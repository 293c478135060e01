import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LOCK_FILE } from "../src/data-dir-lock.ts";
import { type RunningServer, SERVER_START_MS, startServer } from "./processes.ts";

describe("one server per PGlite DATA_DIR", () => {
  let dataDir = "";
  const started: RunningServer[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tandem-lock-"));
  });

  afterAll(async () => {
    for (const server of started) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await once(server.child, "exit");
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test(
    "a second server on the same DATA_DIR refuses to start, naming the first; a clean stop frees it",
    async () => {
      const first = await startServer({ DATA_DIR: dataDir });
      started.push(first);
      expect(await readFile(join(dataDir, LOCK_FILE), "utf8")).toBe(`${first.child.pid}\n`);

      await expect(startServer({ DATA_DIR: dataDir })).rejects.toThrow(
        new RegExp(
          `The server exited \\(1\\)[\\s\\S]*is in use by another Tandem server \\(pid ${first.child.pid}\\)`,
        ),
      );
      // The first one is untouched.
      expect((await first.api.health.$get()).status).toBe(200);

      first.child.kill("SIGTERM");
      await once(first.child, "exit");
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
    },
    3 * SERVER_START_MS,
  );

  test(
    "a lock left by a process that is gone (kill -9) is taken over",
    async () => {
      const gone = spawn(process.execPath, ["-e", ""]);
      await once(gone, "exit");
      await writeFile(join(dataDir, LOCK_FILE), `${gone.pid}\n`);

      const server = await startServer({ DATA_DIR: dataDir });
      started.push(server);
      expect((await server.api.health.$get()).status).toBe(200);
      expect(await readFile(join(dataDir, LOCK_FILE), "utf8")).toBe(`${server.child.pid}\n`);
    },
    SERVER_START_MS + 10_000,
  );
});
