import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { FEED_READY_EVENT } from "@tandem/shared";
import { Api } from "../lib/api.ts";
import type { FeedClientsDone, FeedClientsMessage, FeedClientsStart } from "../lib/feed-clients.ts";
import { keepAliveFetch } from "../lib/keep-alive-fetch.ts";
import { onCleanup, sleep } from "../lib/processes.ts";
import { percentile, summarize } from "../lib/stats.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const P99_TARGET_MS = 100;
const MAX_IN_FLIGHT = 256;
/**
 * The writes go round the projects: the case measures the feed's fan-out, and a project
 * takes its sends one at a time (its tree lock), about 150 a second on this machine,
 * which `api-throughput` measures. Many projects at once is also how 500 writes a
 * second come: a chat sends a few messages a minute.
 */
const PROJECTS = 20;
/** Seconds written at the full rate before the measured ones (one in a quick run). */
const WARM_UP_SECONDS = 3;
/** Processes the feed clients are spread over. */
const CLIENT_PROCESSES = 4;

interface Clients {
  /** Resolves with every client's records once they are closed. */
  stop(): Promise<FeedClientsDone[]>;
}

/** Forks CLIENT_PROCESSES processes holding `clients` feed connections between them; resolves once all are ready. */
async function startClients(url: string, clients: number, ids: string[]): Promise<Clients> {
  const script = fileURLToPath(new URL("../lib/feed-clients.ts", import.meta.url));
  const processes = Math.min(CLIENT_PROCESSES, clients);
  const children = Array.from({ length: processes }, (_, p) => {
    const child = fork(script, [], { execArgv: ["--import", "tsx"], serialization: "advanced" });
    onCleanup(async () => {
      if (child.connected) child.kill();
    });
    const share = Math.floor(clients / processes) + (p < clients % processes ? 1 : 0);
    const start: FeedClientsStart = { type: "start", url, clients: share, ids, readyEvent: FEED_READY_EVENT };
    const ready = new Promise<void>((resolve, reject) => {
      child.on("message", (message: FeedClientsMessage) => {
        if (message.type === "ready") resolve();
        if (message.type === "failed") reject(new Error(message.message));
      });
      child.once("exit", (code) => reject(new Error(`a feed client process exited (${code})`)));
    });
    child.send(start);
    return { child, ready };
  });
  await Promise.all(children.map(({ ready }) => ready));
  return {
    stop: () =>
      Promise.all(
        children.map(
          ({ child }) =>
            new Promise<FeedClientsDone>((resolve, reject) => {
              child.on("message", (message: FeedClientsMessage) => {
                if (message.type === "done") resolve(message);
              });
              child.once("exit", (code) =>
                reject(new Error(`a feed client process exited (${code}) before its report`)),
              );
              child.send({ type: "stop" });
            }),
        ),
      ),
  };
}

/**
 * `clients` SSE connections on GET /api/changes while messages are written through the
 * API at `rate` per second for `seconds`, into PROJECTS projects in turn. Lag per client and event: the time it arrives
 * − the row's `updatedAt` (now() of the write's transaction, so the lag includes the
 * transaction itself). Every write must reach every client exactly once. The clients run
 * in CLIENT_PROCESSES processes of their own (lib/feed-clients.ts), so their event
 * handling does not hold up the bench's writer. The measured seconds follow
 * WARM_UP_SECONDS of writes at the same rate, whose lag is reported on its own row.
 */
export const feedFanOut: BenchCase = {
  name: "feed-fan-out",
  async run({ api, stack, quick, feed }) {
    const clients = quick ? 50 : 200;
    const rate = quick ? 200 : 500;
    const seconds = quick ? 5 : 30;
    const label = `feed fan-out lag (${clients} clients, ${rate}/s, ${seconds} s)`;
    const target = `p99 ≤ ${P99_TARGET_MS} ms`;
    if (!feed)
      return { rows: [{ case: label, n: 0, unit: "ms", target, status: "skipped", note: "no change feed" }] };

    const projects = await Promise.all(
      Array.from({ length: PROJECTS }, (_, p) => api.createProject(`Bench fan-out ${p + 1}`)),
    );
    const warmUpSeconds = quick ? 1 : WARM_UP_SECONDS;
    const total = rate * (warmUpSeconds + seconds);
    const ids = Array.from({ length: total }, () => randomUUID());
    const clientsUp = await startClients(stack.url, clients, ids);
    // The writer's own CPU comes off what the server and Postgres have: its requests go the cheap way.
    const writer = new Api(stack.url, undefined, keepAliveFetch(MAX_IN_FLIGHT)).client;

    const answered = new Uint8Array(total);
    /** Per write: from sending the POST to its answer, in ms; and the second of the run it was sent in. */
    const answerMs = new Float64Array(total);
    const sentIn = new Uint16Array(total);
    let sent = 0;
    let inFlight = 0;
    /**
     * Writes at `rate` for `forSeconds` of wall time, open loop: the writes are due at a
     * fixed pace whatever the answers take, so a server slower than `rate` gets fewer
     * (the achieved rate says so). Answers how long it wrote, in seconds.
     */
    const writeFor = async (forSeconds: number) => {
      const started = performance.now();
      const from = sent;
      while (performance.now() - started < forSeconds * 1000) {
        const due = Math.min(total, from + Math.floor(((performance.now() - started) / 1000) * rate));
        for (; sent < due && inFlight < MAX_IN_FLIGHT; sent++) {
          const i = sent;
          inFlight++;
          const sentAt = performance.now();
          sentIn[i] = Math.floor((sentAt - started) / 1000);
          writer.messages
            .$post({
              json: {
                id: ids[i] ?? randomUUID(),
                projectId: projects[i % PROJECTS]?.id ?? "",
                role: "user",
                // Not a bare number: the search case looks for seeded messages by theirs.
                content: `fan-out w${i}`,
              },
            })
            .then((res) => {
              if (res.status === 201) answered[i] = 1;
              answerMs[i] = performance.now() - sentAt;
              return res.arrayBuffer();
            })
            .catch(() => {})
            .finally(() => inFlight--);
        }
        await sleep(2);
      }
      return (performance.now() - started) / 1000;
    };
    // The first seconds after 200 connections open are the server's and Postgres's warm-up
    // (JIT, the pool's connections, plans): written and reported, not counted in the case.
    await writeFor(warmUpSeconds);
    const measuredFrom = sent;
    const writeSeconds = await writeFor(seconds);
    while (inFlight > 0) await sleep(10);
    // Let the last events arrive.
    await sleep(2000);
    const reports = await clientsUp.stop();
    const unexpected = reports.reduce((sum, report) => sum + report.unexpected, 0);
    const connected = reports.flatMap((report) =>
      report.received.map((received, c) => ({ received, lag: report.lag[c] ?? new Float64Array(total) })),
    );

    const measured = (i: number) => i >= measuredFrom && i < sent;
    const written = answered.reduce((sum, ok, i) => sum + (measured(i) ? ok : 0), 0);
    const warmUpWritten = answered.reduce((sum, ok, i) => sum + (i < measuredFrom ? ok : 0), 0);
    const lags: number[] = [];
    const warmUpLags: number[] = [];
    const thirds: number[][] = [[], [], []];
    /** By the second each write was sent in, to see where in the run the lag is. */
    const bySecond: number[][] = Array.from({ length: seconds }, () => []);
    let missed = 0;
    let duplicated = 0;
    for (const client of connected) {
      for (let i = 0; i < total; i++) {
        const times = client.received[i] ?? 0;
        if (!answered[i]) continue;
        if (times === 0) missed++;
        if (times > 1) duplicated += times - 1;
        if (times === 0) continue;
        const lag = client.lag[i] ?? Number.NaN;
        if (!measured(i)) {
          warmUpLags.push(lag);
          continue;
        }
        lags.push(lag);
        thirds[Math.min(2, Math.floor(((i - measuredFrom) * 3) / (sent - measuredFrom)))]?.push(lag);
        bySecond[Math.min(seconds - 1, sentIn[i] ?? 0)]?.push(lag);
      }
    }
    const stats = summarize(lags);
    const [first, , last] = thirds.map((values) => ({
      p50: percentile(values, 50),
      p99: percentile(values, 99),
    }));
    const drifts = first && last ? last.p50 > first.p50 * 1.25 + 2 : true;
    const achieved = written / writeSeconds;
    const rows: Row[] = [
      {
        case: label,
        ...stats,
        unit: "ms",
        target,
        // The load is part of the case: a server that cannot take the writes misses it too.
        status: pass(stats.p99 <= P99_TARGET_MS && achieved >= rate * 0.95),
        note: `${written} writes at ${achieved.toFixed(0)}/s${achieved < rate * 0.95 ? ` (asked ${rate}/s)` : ""}`,
      },
      {
        case: "feed fan-out drift (last vs first third)",
        n: lags.length,
        unit: "ms",
        p50: (last?.p50 ?? 0) - (first?.p50 ?? 0),
        target: "p50 ≤ 1.25× first + 2 ms",
        status: pass(!drifts),
        note: `p50 ${first?.p50.toFixed(1)} → ${last?.p50.toFixed(1)} ms, p99 ${first?.p99.toFixed(1)} → ${last?.p99.toFixed(1)} ms`,
      },
      {
        case: `feed fan-out warm-up (first ${warmUpSeconds} s, not counted above)`,
        ...summarize(warmUpLags),
        unit: "ms",
        target: "report",
        status: "info",
        note: `${warmUpWritten} writes before the measured ${seconds} s`,
      },
      {
        case: "feed fan-out delivery",
        n: (written + warmUpWritten) * clients,
        unit: "",
        p50: missed + duplicated,
        target: "0 missed, 0 duplicated",
        status: pass(missed === 0 && duplicated === 0),
        note: `${missed} missed, ${duplicated} duplicated`,
      },
    ];
    return {
      rows,
      distributions: [
        { label: "feed fan-out lag", samples: sample(lags, 5000), target: P99_TARGET_MS, targetAt: 99 },
      ],
      details: {
        clients,
        rate,
        seconds,
        written,
        achieved,
        missed,
        duplicated,
        unexpected,
        first,
        last,
        stats,
        bySecond: bySecond.map((values, second) => {
          const answers = Array.from(answerMs).filter(
            (_, i) => measured(i) && answered[i] && Math.min(seconds - 1, sentIn[i] ?? 0) === second,
          );
          return {
            writes: answers.length,
            second,
            lagP50: percentile(values, 50),
            lagP99: percentile(values, 99),
            answerP50: percentile(answers, 50),
            answerP99: percentile(answers, 99),
          };
        }),
      },
    };
  },
};

/** Every k-th value, so that the SVG's data stays small. */
function sample(values: number[], max: number): number[] {
  const step = Math.max(1, Math.floor(values.length / max));
  return values.filter((_, i) => i % step === 0);
}
