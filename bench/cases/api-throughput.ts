import { randomUUID } from "node:crypto";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort, onCleanup, startNode } from "../lib/processes.ts";
import { databaseEnv, freshDatabase, repoRoot } from "../lib/stack.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const TARGET_RATIO = 0.7;
/** Each side's time is split into this many turns, taken alternately. */
const ROUNDS = { full: 5, quick: 3 };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  failed: number;
}

async function load(url: string, request: autocannon.Request, seconds: number): Promise<Load> {
  const result = await autocannon({ url, connections: 50, duration: seconds, requests: [request] });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/** The turns of one side as one load: requests over the whole time, the median turn's latencies. */
function combine(loads: Load[]): Load {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const total = loads.reduce((sum, l) => sum + l.total, 0);
  return {
    rps: loads.reduce((sum, l) => sum + l.rps, 0) / loads.length,
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
    total,
    failed: loads.reduce((sum, l) => sum + l.failed, 0),
  };
}

/**
 * autocannon, 50 connections: `POST /api/messages` (a new id per request) and
 * `GET /api/projects/:id/messages?limit=50`, against Tandem and against the baseline
 * (baseline-server.ts: the same SQL behind bare node:http) in turns, in the same run.
 */
export const apiThroughput: BenchCase = {
  name: "api-throughput",
  async run({ api, stack, quick }) {
    const seconds = quick ? 3 : 10;
    const turns = quick ? ROUNDS.quick : ROUNDS.full;
    const project = await api.seedProject("Bench throughput", 200);
    // Postgres: the baseline uses the same database; PGlite: its own, like Tandem's.
    const database = stack.database.kind === "postgres" ? stack.database : await freshDatabase();
    const port = await freePort(4100);
    const baseline = await startNode(
      join(repoRoot, "bench/baseline-server.ts"),
      { PORT: String(port), PROJECT_ID: project.id, ...databaseEnv(database) },
      `http://127.0.0.1:${port}/health`,
    );
    onCleanup(() => baseline.stop());
    const targets = { tandem: stack.url, baseline: `http://127.0.0.1:${port}` };
    const post: autocannon.Request = {
      method: "POST",
      path: "/api/messages",
      // A write names its Origin (docs/api.md); the baseline ignores it.
      headers: { "content-type": "application/json", origin: stack.url },
      setupRequest: (request) => ({
        ...request,
        body: JSON.stringify({
          id: randomUUID(),
          projectId: project.id,
          content: "A message sent under load.",
        }),
      }),
    };
    const get: autocannon.Request = { method: "GET", path: `/api/projects/${project.id}/messages?limit=50` };

    const rows: Row[] = [];
    const details: Record<string, unknown> = {
      baselineDriver: stack.database.kind === "postgres" ? "postgres.js" : "PGlite",
    };
    for (const [name, request] of [
      ["POST /api/messages", post],
      ["GET …/messages?limit=50", get],
    ] as const) {
      // In turns (Tandem, baseline, Tandem, …), so both see the same machine: on a shared
      // one, load that comes and goes would otherwise fall on one side only.
      const rounds: Record<string, Load[]> = { tandem: [], baseline: [] };
      for (const url of Object.values(targets)) await load(url, request, quick ? 1 : 2); // warm-up
      for (let round = 0; round < turns; round++) {
        for (const [who, url] of Object.entries(targets))
          rounds[who]?.push(await load(url, request, seconds / turns));
      }
      const results = Object.fromEntries(Object.entries(rounds).map(([who, loads]) => [who, combine(loads)]));
      const tandem = results.tandem as Load;
      const base = results.baseline as Load;
      const ratio = tandem.rps / base.rps;
      rows.push({
        case: `API ${name}`,
        n: tandem.total,
        unit: "×",
        p50: ratio,
        target: `≥ ${TARGET_RATIO}× baseline`,
        // A baseline that fails does less work than one that succeeds: no ratio to it holds.
        status: base.failed > 0 ? "error" : pass(ratio >= TARGET_RATIO && tandem.failed === 0),
        note:
          `${tandem.rps.toFixed(0)} vs ${base.rps.toFixed(0)} req/s; p50 ${tandem.p50} vs ${base.p50} ms` +
          (tandem.failed ? `; ${tandem.failed} failed` : "") +
          (base.failed ? `; the baseline failed ${base.failed}` : ""),
      });
      details[name] = results;
    }
    await baseline.stop();
    return { rows, details };
  },
};
