import { randomUUID } from "node:crypto";
import { join } from "node:path";
import autocannon from "autocannon";
import { freePort, onCleanup, startNode } from "../lib/processes.ts";
import { databaseEnv, freshDatabase, repoRoot } from "../lib/stack.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const TARGET_RATIO = 0.7;

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
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * autocannon, 50 connections: `POST /api/messages` (a new id per request) and
 * `GET /api/projects/:id/messages?limit=50`, against Tandem and against the baseline
 * (baseline-server.ts: the same SQL behind bare node:http) in turn, in the same run.
 */
export const apiThroughput: BenchCase = {
  name: "api-throughput",
  async run({ api, stack, quick }) {
    const seconds = quick ? 3 : 10;
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
      const results: Record<string, Load> = {};
      for (const [who, url] of Object.entries(targets)) {
        await load(url, request, quick ? 1 : 2); // warm-up
        results[who] = await load(url, request, seconds);
      }
      const tandem = results.tandem as Load;
      const base = results.baseline as Load;
      const ratio = tandem.rps / base.rps;
      rows.push({
        case: `API ${name}`,
        n: tandem.total,
        unit: "×",
        p50: ratio,
        target: `≥ ${TARGET_RATIO}× baseline`,
        status: pass(ratio >= TARGET_RATIO && tandem.failed === 0),
        note:
          `${tandem.rps.toFixed(0)} vs ${base.rps.toFixed(0)} req/s; p50 ${tandem.p50} vs ${base.p50} ms` +
          (tandem.failed ? `; ${tandem.failed} failed` : ""),
      });
      details[name] = results;
    }
    await baseline.stop();
    return { rows, details };
  },
};
