import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** Every child this run started; all are killed when the run ends, however it ends. */
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

export interface Child {
  process: ChildProcess;
  /** The child's output so far (for a failure message). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` with `env` (a TypeScript script through `--import tsx`), and
 * waits until `healthUrl` answers 200.
 */
export async function startNode(
  script: string,
  env: Record<string, string>,
  healthUrl: string,
  options: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<Child> {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.on("exit", () => children.delete(child));

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited (${child.exitCode}):\n${log}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${script} did not answer ${healthUrl} in time:\n${log}`);
    }
    const ok = await fetch(healthUrl).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) break;
    await sleep(100);
  }
  return { process: child, output: () => log, stop: () => stopChild(child) };
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs `fn` when the run ends (in reverse order of registration), before children are killed. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function cleanup(): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) {
    await fn().catch((error: unknown) => console.error("cleanup:", error));
  }
  await Promise.all([...children].map((child) => stopChild(child, 5_000)));
}

let exiting = false;
/** Kills the children on Ctrl-C or a crash; `exit` is the last, synchronous, resort. */
export function handleExit(): void {
  process.on("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (exiting) return;
      exiting = true;
      console.error(`\n${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
}

/** The bench's ports: BENCH_PORT (default 4100) and the 99 after it. */
export const portRange = (() => {
  const first = Number(process.env.BENCH_PORT || 4100);
  return { first, last: first + 99 };
})();

/** The first free port of the bench's range, from `from` on if that lies inside it. */
export async function freePort(from = portRange.first): Promise<number> {
  const start = from >= portRange.first && from <= portRange.last ? from : portRange.first;
  for (let port = start; port <= portRange.last; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer()
        .once("error", () => resolve(false))
        .listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`No free port in ${portRange.first}-${portRange.last} (BENCH_PORT)`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
