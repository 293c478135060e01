import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import type { Api } from "../lib/api.ts";
import { newContext, readProbe, waitIdle, waitSeen, watch } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, type Curve, pass, type Row } from "../lib/types.ts";
import {
  hasReplica,
  networkSamples,
  openForReloads,
  persistedSamples,
  rowsBeforePaint,
} from "./cold-open.ts";

/**
 * One row changed elsewhere, through the change feed: from the feed event reaching the
 * page (EventSource) to the row in the DOM.
 */
async function liveUpdateFromFeed(page: Page, api: Api, projectId: string): Promise<number> {
  const text = `live ${randomUUID()}`;
  await watch(page, text);
  await api.postMessage(projectId, text);
  const seen = await waitSeen(page, text);
  const event = (await readProbe(page)).events.find((e) => e.data.includes(text));
  if (!event) throw new Error("The feed event was not recorded");
  return seen - event.t;
}

/**
 * Without a change feed, the one direct write the app makes to a loaded collection: the
 * reply's final row (status complete) from its arrival in the chat stream to the
 * reply's `data-status="complete"` in the DOM.
 */
async function liveUpdateFromReply(page: Page): Promise<number> {
  const before = (await readProbe(page)).rows.length;
  const composer = page.getByRole("textbox", { name: "Message", exact: true });
  await composer.fill(`live ${randomUUID().slice(0, 8)} [tokens:3] [delay:40]`);
  await composer.press("Enter");
  await waitIdle(page, 300_000);
  const probe = await readProbe(page);
  const final = probe.rows.slice(before).find((row) => row.status !== "streaming");
  if (!final) throw new Error("The reply's final row was not recorded");
  const shown = probe.statuses.find((s) => s.status === "complete" && s.t >= final.t);
  if (!shown) throw new Error("The reply's status did not change in the DOM");
  return shown.t - final.t;
}

const NETWORK_TARGET_MS = 1000;
const PERSISTED_TARGET_MS = 300;
const WINDOW_ROWS = 200;
const LIVE_DOM_TARGET_MS = 8;
const LIVE_DOM_GROWTH = 1.2;
const COLLECTION_WRITE_TARGET_MS = 1;

/** Durations of the client's `tandem:collection-write` measures, from the `from`-th on. */
function collectionWrites(page: Page, from = 0): Promise<number[]> {
  return page.evaluate(
    (skip) =>
      performance
        .getEntriesByName("tandem:collection-write", "measure")
        .slice(skip)
        .map((entry) => entry.duration),
    from,
  );
}

/**
 * Cold open (network, persisted), the message rows taken before the first paint, and the
 * one-row live update (feed event → DOM, and the client's write into its collection) in
 * projects of 1k, 10k and 100k messages (quick: 1k and 20k). The targets hold at the
 * sizes the issue names; smaller sizes are reported for the curve.
 */
export const scaling: BenchCase = {
  name: "scaling",
  sizes: (quick) => (quick ? [1_000, 20_000] : [1_000, 10_000, 100_000]),
  async run({ browser, stack, api, fixtures, quick, feed }) {
    const sizes = scaling.sizes?.(quick) ?? [];
    const largest = sizes.at(-1) ?? 0;
    const source = feed ? "feed event → DOM" : "reply's final row → DOM";
    const rows: Row[] = [];
    const cold: Curve = { label: "cold open (network), p50", points: [] };
    const persisted: Curve = { label: "cold open (persisted), p50", points: [] };
    const live: Curve = {
      label: `live update (${source}), p50`,
      points: [],
      target: { x: largest, y: LIVE_DOM_TARGET_MS },
    };
    const details: Record<string, unknown> = {};
    let liveAt1k: number | undefined;
    for (const size of sizes) {
      const { project, newest } = await fixtures.project(size);
      const context = await newContext(browser, stack.url);
      try {
        const big = size >= 100_000;
        const timeout = big ? 600_000 : 180_000;
        const k = `${size / 1000}k`;
        const page = await openForReloads(context, project.id, newest, timeout);
        const coldSamples = await networkSamples(page, newest, big ? 2 : 3, timeout);
        const taken = [
          { how: "network", ...(await rowsBeforePaint(page, newest, timeout, { network: true })) },
        ];
        let persistedCold: number[] = [];
        if ((await hasReplica(page)).length > 0) {
          persistedCold = await persistedSamples(page, newest, big ? 2 : 3, timeout);
          taken.push({
            how: "persisted",
            ...(await rowsBeforePaint(page, newest, timeout, { network: false })),
          });
        }
        const writesBefore = (await collectionWrites(page)).length;
        const liveSamples: number[] = [];
        for (let i = 0; i < (quick ? 10 : big ? 20 : 30); i++) {
          liveSamples.push(
            feed ? await liveUpdateFromFeed(page, api, project.id) : await liveUpdateFromReply(page),
          );
        }
        const writes = await collectionWrites(page, writesBefore);

        const c = summarize(coldSamples);
        const networkTargeted = size >= 20_000;
        rows.push({
          case: `scaling: cold open, network (${k})`,
          ...c,
          unit: "ms",
          target: networkTargeted ? `≤ ${NETWORK_TARGET_MS} ms` : "report",
          status: networkTargeted ? pass(c.p50 <= NETWORK_TARGET_MS) : "info",
        });
        cold.points.push({ x: size, y: c.p50 });
        const persistedTargeted = size >= 10_000;
        if (persistedCold.length > 0) {
          const p = summarize(persistedCold);
          rows.push({
            case: `scaling: cold open, persisted (${k})`,
            ...p,
            unit: "ms",
            target: persistedTargeted ? `≤ ${PERSISTED_TARGET_MS} ms` : "report",
            status: persistedTargeted ? pass(p.p50 <= PERSISTED_TARGET_MS) : "info",
          });
          persisted.points.push({ x: size, y: p.p50 });
        } else if (persistedTargeted) {
          rows.push({
            case: `scaling: cold open, persisted (${k})`,
            n: 0,
            unit: "ms",
            target: `≤ ${PERSISTED_TARGET_MS} ms`,
            status: "not built yet",
            note: "no IndexedDB replica",
          });
        }
        const most = Math.max(...taken.map((t) => t.fetched + t.replica));
        rows.push({
          case: `scaling: rows fetched before first paint (${k})`,
          n: taken.length,
          unit: "rows",
          p50: most,
          target: `≤ ${WINDOW_ROWS} (one window)`,
          status: pass(most <= WINDOW_ROWS),
          note: taken.map((t) => `${t.how}: ${t.fetched} fetched + ${t.replica} from IndexedDB`).join("; "),
        });

        const l = summarize(liveSamples);
        if (size === 1_000) liveAt1k = l.p50;
        const liveTargeted = size === largest && size >= 20_000;
        const growthOk = liveAt1k === undefined || l.p50 <= LIVE_DOM_GROWTH * liveAt1k;
        rows.push({
          case: `scaling: live update, ${source} (${k})`,
          ...l,
          unit: "ms",
          target: liveTargeted ? `p50 ≤ ${LIVE_DOM_TARGET_MS} ms and ≤ ${LIVE_DOM_GROWTH}× 1k` : "report",
          status: liveTargeted ? pass(l.p50 <= LIVE_DOM_TARGET_MS && growthOk) : "info",
          note:
            liveTargeted && liveAt1k !== undefined
              ? `${(l.p50 / liveAt1k).toFixed(2)}× the 1k p50 (${liveAt1k.toFixed(1)} ms)`
              : undefined,
        });
        live.points.push({ x: size, y: l.p50 });
        const w = summarize(writes);
        rows.push({
          case: `scaling: live update, collection write (${k})`,
          ...w,
          unit: "ms",
          target: liveTargeted ? `p50 ≤ ${COLLECTION_WRITE_TARGET_MS} ms` : "report",
          status:
            writes.length === 0
              ? "not built yet"
              : liveTargeted
                ? pass(w.p50 <= COLLECTION_WRITE_TARGET_MS)
                : "info",
          note: writes.length === 0 ? "no tandem:collection-write measures in the page" : undefined,
        });
        details[size] = {
          cold: coldSamples,
          persisted: persistedCold,
          live: liveSamples,
          collectionWrites: writes,
          rowsBeforePaint: taken,
        };
      } finally {
        await context.close();
      }
    }
    const curves = [cold, ...(persisted.points.length ? [persisted] : []), live];
    return { rows, curves, details: { source, ...details } };
  },
};
