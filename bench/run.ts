/**
 * `pnpm bench [--quick] [--only=case,case]`: seeds a fresh database with the projects
 * the cases ask for (straight into its tables), starts its own Tandem server (and the
 * scripted model) on it, runs every case, prints one table and writes
 * results/latest.json and results/latest.svg. BENCH_PORT (default 4100) moves its ports.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createDb } from "@tandem/db/client";
import { apiThroughput } from "./cases/api-throughput.ts";
import { bundle } from "./cases/bundle.ts";
import { coldOpen } from "./cases/cold-open.ts";
import { crossProject } from "./cases/cross-project.ts";
import { feedFanOut } from "./cases/feed-fan-out.ts";
import { scaling } from "./cases/scaling.ts";
import { search } from "./cases/search.ts";
import { sendToPaint } from "./cases/send-to-paint.ts";
import { sessionOverhead } from "./cases/session-overhead.ts";
import { tabToTab } from "./cases/tab-to-tab.ts";
import { tokenToPaint } from "./cases/token-to-paint.ts";
import { writeAmplification } from "./cases/write-amplification.ts";
import { Api } from "./lib/api.ts";
import { launchBrowser } from "./lib/browser.ts";
import { insertProject, type SeededRows } from "./lib/bulk-seed.ts";
import { Fixtures } from "./lib/fixtures.ts";
import { cleanup, handleExit } from "./lib/processes.ts";
import { startStack, webDist } from "./lib/stack.ts";
import { renderSvg } from "./lib/svg.ts";
import { formatTable } from "./lib/table.ts";
import type { BenchCase, CaseOutput, Context, Curve, Distribution, Row } from "./lib/types.ts";

const cases: BenchCase[] = [
  bundle,
  coldOpen,
  sendToPaint,
  tabToTab,
  crossProject,
  tokenToPaint,
  scaling,
  writeAmplification,
  feedFanOut,
  apiThroughput,
  sessionOverhead,
  search,
];

const quick = process.argv.includes("--quick");
const only = process.argv
  .find((arg) => arg.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
const resultsDir = join(import.meta.dirname, "results");

const newestMtime = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isFile())
      .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs),
  );

const git = (...args: string[]) => {
  try {
    return execFileSync("git", args, { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
};

/** Whether the server has the change feed: `GET /api/changes` answers a stream, not a 404. */
async function hasFeed(url: string): Promise<boolean> {
  const abort = new AbortController();
  try {
    const res = await fetch(`${url}/api/changes`, { signal: abort.signal });
    return res.ok && (res.headers.get("content-type") ?? "").includes("text/event-stream");
  } catch {
    return false;
  } finally {
    abort.abort();
  }
}

async function main() {
  handleExit();
  const started = Date.now();
  if (!existsSync(join(webDist, "index.html"))) {
    console.log("Building the web app (apps/web/dist is missing)…");
    execFileSync("pnpm", ["--filter", "@tandem/web", "build"], { stdio: "inherit" });
  } else if (newestMtime(join(webDist, "../src")) > statSync(join(webDist, "index.html")).mtimeMs) {
    console.warn("apps/web/dist is older than apps/web/src: this measures the old build (pnpm build).");
  }
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
  const selected = cases.filter((benchCase) => !only || only.includes(benchCase.name));
  const sizes = [...new Set(selected.flatMap((benchCase) => benchCase.sizes?.(quick) ?? []))];
  const preseeded = new Map<number, SeededRows>();
  const stack = await startStack({
    nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(" ").filter(Boolean),
    // Far faster than through the API: 100k messages in seconds rather than minutes.
    async seed(env) {
      const handle = createDb(env);
      try {
        await handle.migrate();
        for (const size of sizes.sort((a, b) => a - b)) {
          const started = performance.now();
          preseeded.set(size, await insertProject(handle.db, `Bench ${size}`, size - 1));
          const seconds = (performance.now() - started) / 1000;
          console.log(
            `Seeded ${size.toLocaleString("en")} messages in ${seconds.toFixed(1)} s (into the database).`,
          );
        }
      } finally {
        await handle.close();
      }
    },
  });
  const browser = await launchBrowser();
  const api = new Api(stack.url);
  const ctx: Context = {
    quick,
    stack,
    api,
    browser,
    fixtures: new Fixtures(api, preseeded),
    feed: await hasFeed(stack.url),
  };
  const machine = {
    date: new Date().toISOString(),
    commit: git("rev-parse", "--short", "HEAD"),
    // What was measured: uncommitted changes to the app or a stale apps/web/dist skew it.
    uncommitted: git("status", "--porcelain", "apps", "packages").split("\n").filter(Boolean).length,
    cpus: cpus().length,
    cpu: cpus()[0]?.model.trim(),
    node: process.version,
    chromium: browser.version(),
    database: stack.database.kind,
    changeFeed: ctx.feed,
  };
  console.log(
    `Tandem at ${stack.url} on ${machine.database}; Chromium ${machine.chromium}; ` +
      `${machine.cpus} cores; ${quick ? "quick" : "full"} run; change feed: ${ctx.feed ? "yes" : "no"}; ` +
      `commit ${machine.commit}${machine.uncommitted ? ` + ${machine.uncommitted} uncommitted file(s) in apps/, packages/` : ""}`,
  );

  const rows: Row[] = [];
  const distributions: Distribution[] = [];
  const curves: Curve[] = [];
  const details: Record<string, unknown> = {};
  for (const benchCase of selected) {
    const caseStart = performance.now();
    console.log(`${benchCase.name}…`);
    let output: CaseOutput;
    try {
      output = await benchCase.run(ctx);
    } catch (error) {
      console.error(error);
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      output = {
        rows: [{ case: benchCase.name, n: 0, unit: "", target: "", status: "error", note: message }],
      };
    }
    rows.push(...output.rows);
    distributions.push(...(output.distributions ?? []));
    curves.push(...(output.curves ?? []));
    if (output.details) details[benchCase.name] = output.details;
    console.log(`  done in ${((performance.now() - caseStart) / 1000).toFixed(1)} s`);
  }

  const table = formatTable(rows);
  console.log(`\n${table}\n`);
  const seconds = Math.round((Date.now() - started) / 1000);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, "latest.json"),
    `${JSON.stringify({ machine, quick, seconds, rows, distributions, curves, details }, null, 2)}\n`,
  );
  const title = `Tandem benchmarks, ${machine.date.slice(0, 10)}: ${machine.cpus} cores, Node ${machine.node}, Chromium ${machine.chromium}, ${machine.database}${quick ? " (quick)" : ""}`;
  writeFileSync(join(resultsDir, "latest.svg"), renderSvg(title, rows, distributions, curves));
  console.log(`Wrote bench/results/latest.json and latest.svg (${seconds} s in all).`);
  return rows.some((row) => row.status === "error") ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await cleanup();
}
process.exit(code);
