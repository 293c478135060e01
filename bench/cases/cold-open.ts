import type { BrowserContext, Page } from "@playwright/test";
import { newContext, openProject, type Probe, readProbe } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const NETWORK_TARGET_MS = 1000;
const PERSISTED_TARGET_MS = 300;

/**
 * Reloads the page `count` times; each sample is the time from the navigation's start
 * (performance.now() = 0 in the new document) to the frame that paints `newest`.
 */
export async function reloadSamples(
  page: Page,
  newest: string,
  count: number,
  timeoutMs: number,
  beforeEach?: () => Promise<void>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    await beforeEach?.();
    await page.reload({ waitUntil: "commit" });
    const handle = await page.waitForFunction(
      (text) => (window as unknown as { __bench: Probe }).__bench.painted[text],
      newest,
      { timeout: timeoutMs, polling: 20 },
    );
    samples.push((await handle.jsonValue()) as number);
  }
  return samples;
}

/** The network alone: the persisted replica (IndexedDB) is deleted before each reload. */
export async function networkSamples(page: Page, newest: string, count: number, timeoutMs: number) {
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  try {
    return await reloadSamples(page, newest, count, timeoutMs, async () => {
      await cdp.send("Storage.clearDataForOrigin", { origin, storageTypes: "indexeddb" });
    });
  } finally {
    await cdp.detach();
  }
}

/** Message rows a cold open took before its first paint of the newest message. */
export interface RowsBeforePaint {
  /** Rows in GET /api/projects/:id/messages answers that arrived before the paint. */
  fetched: number;
  /** Rows the client says it read from IndexedDB (`tandem:replica-read` marks) before it. */
  replica: number;
}

/**
 * One reload that counts the message rows the page took in before it painted the newest
 * message: from the network (the probe counts the answers' rows) and from its replica
 * (the client marks each read: performance.mark("tandem:replica-read", { detail: { scope,
 * rows } }); none counts 0). `network`: the replica is deleted first, as in networkSamples.
 */
export async function rowsBeforePaint(
  page: Page,
  newest: string,
  timeoutMs: number,
  { network }: { network: boolean },
): Promise<RowsBeforePaint> {
  await page.evaluate(() => {
    window.name = "bench:count-rows";
  });
  try {
    const [painted = Number.POSITIVE_INFINITY] = network
      ? await networkSamples(page, newest, 1, timeoutMs)
      : await reloadSamples(page, newest, 1, timeoutMs);
    await page.waitForFunction(() => (window as unknown as { __bench: Probe }).__bench.countsPending === 0);
    const { fetchedRows } = await readProbe(page);
    const replica = await page.evaluate(
      (before) =>
        performance
          .getEntriesByName("tandem:replica-read", "mark")
          .filter((mark) => mark.startTime <= before)
          .reduce((sum, mark) => sum + (Number((mark as PerformanceMark).detail?.rows) || 0), 0),
      painted,
    );
    const fetched = fetchedRows.filter((r) => r.t <= painted).reduce((sum, r) => sum + r.rows, 0);
    return { fetched, replica };
  } finally {
    await page.evaluate(() => {
      window.name = "";
    });
  }
}

/** Whether the app keeps a replica in IndexedDB (given a moment to write it). */
export async function hasReplica(page: Page): Promise<string[]> {
  await page.waitForTimeout(2000);
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? ""));
}

/** Opens a project once (the app's assets are then cached) and watches for its newest message on every load. */
export async function openForReloads(
  context: BrowserContext,
  projectId: string,
  newest: string,
  timeoutMs: number,
) {
  await context.addInitScript(
    (text) => (window as unknown as { __bench: { watch(t: string): void } }).__bench.watch(text),
    newest,
  );
  const page = await context.newPage();
  await openProject(page, projectId, newest, timeoutMs);
  return page;
}

/**
 * The persisted replica paints without the network: every API request is held (CDP
 * Fetch interception, which leaves the HTTP cache and the service worker alone) until
 * the newest message is painted, then let go.
 */
export async function persistedSamples(page: Page, newest: string, count: number, timeoutMs = 10_000) {
  const cdp = await page.context().newCDPSession(page);
  const held: string[] = [];
  cdp.on("Fetch.requestPaused", (event) => held.push(event.requestId));
  const release = async () => {
    for (const requestId of held.splice(0))
      await cdp.send("Fetch.continueRequest", { requestId }).catch(() => {});
  };
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      await cdp.send("Fetch.enable", { patterns: [{ urlPattern: "*/api/*", requestStage: "Request" }] });
      samples.push(...(await reloadSamples(page, newest, 1, timeoutMs)));
      await cdp.send("Fetch.disable");
      await release();
      // Let the app catch up with the server before the next reload.
      await page.waitForTimeout(500);
    }
    return samples;
  } finally {
    await cdp.send("Fetch.disable").catch(() => {});
    await release();
    await cdp.detach();
  }
}

export const coldOpen: BenchCase = {
  name: "cold-open",
  sizes: (quick) => [quick ? 2_000 : 10_000],
  async run({ browser, stack, fixtures, quick }) {
    const size = quick ? 2_000 : 10_000;
    const { project, newest } = await fixtures.project(size);
    const count = quick ? 3 : 7;
    const context = await newContext(browser, stack.url);
    try {
      const page = await openForReloads(context, project.id, newest, 120_000);
      const network = await networkSamples(page, newest, count, 120_000);
      const stats = summarize(network);
      const rows: Row[] = [
        {
          case: `cold open, network (${size / 1000}k msgs)`,
          unit: "ms",
          ...stats,
          target: `≤ ${NETWORK_TARGET_MS} ms`,
          status: pass(stats.p50 <= NETWORK_TARGET_MS),
        },
      ];
      const databases = await hasReplica(page);
      let persisted: number[] = [];
      if (databases.length === 0) {
        rows.push({
          case: `cold open, persisted (${size / 1000}k msgs)`,
          n: 0,
          unit: "ms",
          target: `≤ ${PERSISTED_TARGET_MS} ms`,
          status: "not built yet",
          note: "no IndexedDB replica",
        });
      } else {
        try {
          persisted = await persistedSamples(page, newest, count);
          const p = summarize(persisted);
          rows.push({
            case: `cold open, persisted (${size / 1000}k msgs)`,
            unit: "ms",
            ...p,
            target: `≤ ${PERSISTED_TARGET_MS} ms`,
            status: pass(p.p50 <= PERSISTED_TARGET_MS),
          });
        } catch {
          rows.push({
            case: `cold open, persisted (${size / 1000}k msgs)`,
            n: 0,
            unit: "ms",
            target: `≤ ${PERSISTED_TARGET_MS} ms`,
            status: "FAIL",
            note: `IndexedDB ${databases.join(", ")} did not paint the newest message within 10 s offline`,
          });
        }
      }
      return {
        rows,
        distributions: [
          { label: "cold open, network", samples: network, target: NETWORK_TARGET_MS },
          ...(persisted.length
            ? [{ label: "cold open, persisted", samples: persisted, target: PERSISTED_TARGET_MS }]
            : []),
        ],
        details: { size, network, persisted, indexedDb: databases },
      };
    } finally {
      await context.close();
    }
  },
};
