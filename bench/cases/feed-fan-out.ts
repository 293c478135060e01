import { randomUUID } from "node:crypto";
import { FEED_READY_EVENT } from "@tandem/shared";
import { EventSource } from "eventsource";
import { sleep } from "../lib/processes.ts";
import { percentile, summarize } from "../lib/stats.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const P99_TARGET_MS = 100;
const MAX_IN_FLIGHT = 256;

/** Sub-millisecond wall-clock time, comparable with the server's timestamps. */
const now = () => performance.timeOrigin + performance.now();

interface Client {
  source: EventSource;
  /** Per write (by its index): how many times this client got its event. */
  received: Uint8Array;
  /** Per write: receive time − the row's updatedAt, in ms. */
  lag: Float64Array;
}

/**
 * `clients` SSE connections on GET /api/changes while messages are written through the
 * API at `rate` per second for `seconds`. Lag per client and event: the time it arrives
 * − the row's `updatedAt` (now() of the write's transaction, so the lag includes the
 * transaction itself). Every write must reach every client exactly once.
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

    const project = await api.createProject("Bench fan-out");
    const total = rate * seconds;
    const index = new Map<string, number>();
    const ids = Array.from({ length: total }, (_, i) => {
      const id = randomUUID();
      index.set(id, i);
      return id;
    });
    let unexpected = 0;

    const connected: Client[] = await Promise.all(
      Array.from(
        { length: clients },
        () =>
          new Promise<Client>((resolve, reject) => {
            const source = new EventSource(`${stack.url}/api/changes`);
            const client: Client = { source, received: new Uint8Array(total), lag: new Float64Array(total) };
            source.addEventListener(FEED_READY_EVENT, () => resolve(client), { once: true });
            source.onerror = (error) => reject(new Error(`feed connection failed: ${error.message}`));
            source.onmessage = (event) => {
              const at = now();
              const change = JSON.parse(event.data) as { id: string; row: { updatedAt?: string } };
              const i = index.get(change.id);
              if (i === undefined) {
                unexpected++;
                return;
              }
              client.received[i] = (client.received[i] ?? 0) + 1;
              client.lag[i] = at - Date.parse(change.row.updatedAt ?? "");
            };
          }),
      ),
    );

    // Open loop: the writes are due at a fixed pace whatever the answers take.
    const answered = new Uint8Array(total);
    let sent = 0;
    let inFlight = 0;
    const started = performance.now();
    // For `seconds` of wall time: a server slower than `rate` gets fewer writes (the achieved rate says so).
    while (performance.now() - started < seconds * 1000) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
      for (; sent < due && inFlight < MAX_IN_FLIGHT; sent++) {
        const i = sent;
        inFlight++;
        fetch(`${stack.url}/api/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ id: ids[i], projectId: project.id, content: `fan-out ${i}` }),
        })
          .then((res) => {
            if (res.status === 201) answered[i] = 1;
            return res.arrayBuffer();
          })
          .catch(() => {})
          .finally(() => inFlight--);
      }
      await sleep(2);
    }
    const writeSeconds = (performance.now() - started) / 1000;
    while (inFlight > 0) await sleep(10);
    // Let the last events arrive.
    await sleep(2000);
    for (const client of connected) client.source.close();

    const written = answered.reduce((sum, ok) => sum + ok, 0);
    const lags: number[] = [];
    const thirds: number[][] = [[], [], []];
    let missed = 0;
    let duplicated = 0;
    for (const client of connected) {
      for (let i = 0; i < total; i++) {
        const times = client.received[i] ?? 0;
        if (!answered[i]) continue;
        if (times === 0) missed++;
        if (times > 1) duplicated += times - 1;
        if (times > 0) {
          const lag = client.lag[i] ?? Number.NaN;
          lags.push(lag);
          thirds[Math.min(2, Math.floor((i * 3) / sent))]?.push(lag);
        }
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
        case: "feed fan-out delivery",
        n: written * clients,
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
      },
    };
  },
};

/** Every k-th value, so that the SVG's data stays small. */
function sample(values: number[], max: number): number[] {
  const step = Math.max(1, Math.floor(values.length / max));
  return values.filter((_, i) => i % step === 0);
}
