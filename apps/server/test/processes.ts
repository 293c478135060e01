import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { builtServerArgs } from "@tandem/testing/built-server";
import { hc } from "hono/client";
import type { ApiType } from "../src/app.ts";
import { waitFor } from "./chat.ts";

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * What a server process may take to start listening: loading the built server and opening
 * the database, on a machine that may be busy (CI beside a bench). Tests that start servers
 * take their timeout from it.
 */
export const SERVER_START_MS = 60_000;

export interface RunningServer {
  url: string;
  /** The typed client on its API. */
  api: ReturnType<typeof hc<ApiType>>;
  child: ChildProcess;
  output: () => string;
}

/**
 * Starts the real server, as built by `pnpm build` (`node apps/server/dist/index.js`; the
 * test run builds it first when stale, apps/server/test/build-server.ts), on a free port.
 */
export async function startServer(
  env: Record<string, string | undefined>,
  { ready = true }: { ready?: boolean } = {},
): Promise<RunningServer> {
  const child = spawn(process.execPath, builtServerArgs, {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: "",
      DATA_DIR: "",
      AI_BASE_URL: "",
      AI_MODEL: "",
      PORT: "0",
      HOST: "127.0.0.1",
      // Slow enough that the reply is still being written when the process dies.
      ASSISTANT_TOKEN_DELAY_MS: "100",
      STREAM_FLUSH_MS: "50",
      GENERATION_HEARTBEAT_MS: "100",
      GENERATION_STALE_MS: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (data) => {
    output += data;
  });
  child.stderr?.on("data", (data) => {
    output += data;
  });
  const url = await waitFor(
    "the server to listen",
    () => {
      if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode}):\n${output}`);
      return /Tandem is running at (http:\/\/\S+) /.exec(output)?.[1];
    },
    { timeoutMs: SERVER_START_MS, everyMs: 50 },
  );
  // It listens before its database is ready (migrated): `ready` waits for that too.
  if (ready) {
    await waitFor(
      "the server's database to be ready",
      async () => {
        if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode}):\n${output}`);
        const answer = await fetch(`${url}/api/health`).catch(() => undefined);
        return answer?.status === 200 ? true : undefined;
      },
      { timeoutMs: SERVER_START_MS, everyMs: 50 },
    );
  }
  return { url, api: hc<ApiType>(`${url}/api`, { headers: { origin: url } }), child, output: () => output };
}

/** Kills (SIGKILL) the servers in `started` that are still running, and empties it: for `afterEach`. */
export async function killStarted(started: RunningServer[]): Promise<void> {
  for (const server of started.splice(0)) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) continue;
    server.child.kill("SIGKILL");
    await once(server.child, "exit");
  }
}
