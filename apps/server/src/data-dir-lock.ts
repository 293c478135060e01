import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The file in DATA_DIR that holds the pid of the process using it. */
export const LOCK_FILE = "tandem.pid";

/**
 * Claims `dataDir` for this process, so that a second server on the same PGlite files
 * (which would corrupt them: PGlite is one process's database) refuses to start. The
 * claim is a file holding this process's pid; a file left by a process that no longer
 * runs (a crash, a kill -9) is taken over. Answers the release, for a clean shutdown.
 * Throws, with a message naming the other process, when one is running.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      // `wx`: created by this call or not at all, so two processes starting together cannot both win.
      writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o644 });
      return () => releaseIf(path, process.pid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw error;
    }
    const holder = readHolder(path);
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
      throw new Error(
        `DATA_DIR ${resolve(dataDir)} is in use by another Tandem server (pid ${holder}). ` +
          `PGlite is one process's database: stop that server, or give this one another DATA_DIR ` +
          `(or a DATABASE_URL to share a Postgres). If pid ${holder} is not a Tandem server, delete ${resolve(path)}.`,
      );
    }
    // Left by a process that is gone (or unreadable, half-written by one): take it over.
    rmSync(path, { force: true });
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid runs: signal 0 checks without sending anything. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function releaseIf(path: string, pid: number) {
  if (readHolder(path) === pid) rmSync(path, { force: true });
}
