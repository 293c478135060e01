import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import type { Api } from "../lib/api.ts";
import { newContext, readProbe, waitIdle, waitSeen, watch } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, type Curve, pass, type Row } from "../lib/types.ts";
import { hasReplica, networkSamples, openForReloads, persistedSamples } from "./cold-open.ts";

const LIVE_TARGET_MS = 1;

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

/** Cold open and the one-row live update in projects of 1k, 10k and 100k messages. */
export const scaling: BenchCase = {
  name: "scaling",
  async run({ browser, stack, api, fixtures, quick, feed }) {
    const sizes = quick ? [1_000, 2_000] : [1_000, 10_000, 100_000];
    const source = feed ? "feed event → DOM" : "reply's final row → DOM";
    const rows: Row[] = [];
    const cold: Curve = { label: "cold open (network), p50", points: [] };
    const persisted: Curve = { label: "cold open (persisted), p50", points: [] };
    const live: Curve = {
      label: `live update (${source}), p50`,
      points: [],
      target: { x: 100_000, y: LIVE_TARGET_MS },
    };
    const details: Record<string, unknown> = {};
    for (const size of sizes) {
      const { project, newest } = await fixtures.project(size);
      const context = await newContext(browser, stack.url);
      try {
        const big = size >= 100_000;
        const timeout = big ? 600_000 : 120_000;
        const page = await openForReloads(context, project.id, newest, timeout);
        const coldSamples = await networkSamples(page, newest, big ? 2 : 3, timeout);
        let persistedCold: number[] = [];
        if ((await hasReplica(page)).length > 0) {
          persistedCold = await persistedSamples(page, newest, big ? 2 : 3, timeout);
        }
        const liveSamples: number[] = [];
        for (let i = 0; i < (quick ? 5 : big ? 10 : 20); i++) {
          liveSamples.push(
            feed ? await liveUpdateFromFeed(page, api, project.id) : await liveUpdateFromReply(page),
          );
        }
        const c = summarize(coldSamples);
        const l = summarize(liveSamples);
        const k = `${size / 1000}k`;
        rows.push({
          case: `scaling: cold open, network (${k})`,
          ...c,
          unit: "ms",
          target: "report",
          status: "info",
        });
        if (persistedCold.length > 0) {
          const p = summarize(persistedCold);
          rows.push({
            case: `scaling: cold open, persisted (${k})`,
            ...p,
            unit: "ms",
            target: "report",
            status: "info",
          });
          persisted.points.push({ x: size, y: p.p50 });
        }
        rows.push({
          case: `scaling: live update (${k})`,
          ...l,
          unit: "ms",
          target: big ? `p50 ≤ ${LIVE_TARGET_MS} ms` : "report",
          status: big ? pass(l.p50 <= LIVE_TARGET_MS) : "info",
          note: source,
        });
        cold.points.push({ x: size, y: c.p50 });
        live.points.push({ x: size, y: l.p50 });
        details[size] = { cold: coldSamples, persisted: persistedCold, live: liveSamples };
      } finally {
        await context.close();
      }
    }
    const curves = [cold, ...(persisted.points.length ? [persisted] : []), live];
    return { rows, curves, details: { source, ...details } };
  },
};
