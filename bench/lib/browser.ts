import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "@playwright/test";
import { chromiumLaunchOptions } from "@tandem/testing/chromium";
import { onCleanup } from "./processes.ts";

const probe = fileURLToPath(new URL("./probe.js", import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ ...chromiumLaunchOptions, headless: true });
  onCleanup(() => browser.close());
  return browser;
}

/** A fresh browser profile (no storage shared with other cases) whose pages carry the probe. */
export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ path: probe });
  return context;
}

/** What the probe (probe.js) records in the page; see there. */
export interface Probe {
  sends: number[];
  seen: Record<string, number>;
  painted: Record<string, number>;
  tokenArrived: Array<number | null>;
  tokenShown: Array<number | null>;
  rows: Array<{ t: number; id: string; status: string }>;
  statuses: Array<{ t: number; status: string }>;
  events: Array<{ t: number; data: string }>;
  longTasks: Array<{ start: number; duration: number }>;
  fetchedRows: Array<{ t: number; rows: number }>;
  countsPending: number;
}

export function readProbe(page: Page): Promise<Probe> {
  return page.evaluate(() => {
    const b = (window as unknown as { __bench: Probe }).__bench;
    return {
      sends: b.sends,
      seen: b.seen,
      painted: b.painted,
      tokenArrived: b.tokenArrived,
      tokenShown: b.tokenShown,
      rows: b.rows,
      statuses: b.statuses,
      events: b.events,
      longTasks: b.longTasks,
      fetchedRows: b.fetchedRows,
      countsPending: b.countsPending,
    };
  });
}

/** Waits for `text` to be in the DOM; answers when, by the page's clock. */
export async function waitSeen(page: Page, text: string, timeout = 30_000): Promise<number> {
  const handle = await page.waitForFunction(
    (t) => (window as unknown as { __bench: Probe }).__bench.seen[t],
    text,
    { timeout, polling: 50 },
  );
  return (await handle.jsonValue()) as number;
}

export function watch(page: Page, text: string): Promise<void> {
  return page.evaluate(
    (t) => (window as unknown as { __bench: { watch(t: string): void } }).__bench.watch(t),
    text,
  );
}

/** Waits until the log has no message pending or streaming: the chat is idle. */
export async function waitIdle(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    () =>
      !document.querySelector(
        '[role="log"] article[data-status="pending"], [role="log"] article[data-status="streaming"]',
      ),
    undefined,
    { timeout, polling: 20 },
  );
}

/**
 * Waits until the reply to the user's message `sent` is on the page and done, and no
 * message is pending or streaming. (`waitIdle` alone can pass in the moment between the
 * user's message being confirmed and its reply's row arriving.)
 */
export async function waitReplied(page: Page, sent: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (text) => {
      const articles = [...document.querySelectorAll<HTMLElement>('[role="log"] article')];
      const busy = articles.some(
        (article) => article.dataset.status === "pending" || article.dataset.status === "streaming",
      );
      if (busy) return false;
      const at = articles.findIndex(
        (article) => article.dataset.role === "user" && article.textContent?.includes(text),
      );
      return at >= 0 && articles.slice(at + 1).some((article) => article.dataset.role === "assistant");
    },
    sent,
    { timeout, polling: 20 },
  );
}

/** Opens a project and waits for its newest message to be on the page. */
export async function openProject(page: Page, projectId: string, newest: string, timeout = 120_000) {
  await page.goto(`/projects/${projectId}`);
  await watch(page, newest);
  await waitSeen(page, newest, timeout);
}
