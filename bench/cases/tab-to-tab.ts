import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { newContext, openProject, readProbe, waitReplied, waitSeen, watch } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, pass } from "../lib/types.ts";

const P50_TARGET_MS = 15;
const P99_TARGET_MS = 50;

const epoch = (page: Page) => page.evaluate(() => performance.timeOrigin);

async function waitOnline(page: Page) {
  await page
    .getByRole("status", { name: "Connection", exact: true })
    .filter({ hasText: "Online" })
    .waitFor({ timeout: 30_000 });
}

/**
 * Two tabs of one browser on the same project: a message sent in A (Enter) until it is
 * in B's DOM. The pages' clocks are joined through performance.timeOrigin.
 */
export const tabToTab: BenchCase = {
  name: "tab-to-tab",
  sizes: () => [1_000],
  async run({ browser, stack, fixtures, quick, feed }) {
    const label = "tab-to-tab (1k msgs)";
    const target = `p50 ≤ ${P50_TARGET_MS}, p99 ≤ ${P99_TARGET_MS} ms`;
    if (!feed)
      return { rows: [{ case: label, n: 0, unit: "ms", target, status: "skipped", note: "no change feed" }] };
    const { project, newest } = await fixtures.project(1_000);
    const context = await newContext(browser, stack.url);
    try {
      const a = await context.newPage();
      await openProject(a, project.id, newest);
      const b = await context.newPage();
      await openProject(b, project.id, newest);
      await Promise.all([waitOnline(a), waitOnline(b)]);
      const [originA, originB] = [await epoch(a), await epoch(b)];
      const composer = a.getByRole("textbox", { name: "Message", exact: true });
      const samples: number[] = [];
      const count = quick ? 20 : 100;
      for (let i = -2; i < count; i++) {
        const text = `tab ${i} ${randomUUID().slice(0, 8)} [tokens:1]`;
        await composer.fill(text);
        await watch(b, text);
        const before = (await readProbe(a)).sends.length;
        await composer.press("Enter");
        const seen = await waitSeen(b, text);
        const sentAt = (await readProbe(a)).sends[before];
        if (sentAt === undefined) throw new Error("The Enter keydown was not recorded");
        // The first two warm up (the markdown chunk, the feed's first events).
        if (i >= 0) samples.push(originB + seen - (originA + sentAt));
        await Promise.all([waitReplied(a, text), waitReplied(b, text)]);
      }
      const stats = summarize(samples);
      return {
        rows: [
          {
            case: label,
            ...stats,
            unit: "ms",
            target,
            status: pass(stats.p50 <= P50_TARGET_MS && stats.p99 <= P99_TARGET_MS),
            note: "one feed connection for both tabs",
          },
        ],
        distributions: [{ label: "tab-to-tab", samples, target: P50_TARGET_MS }],
        details: { samples, visibility: await b.evaluate(() => document.visibilityState) },
      };
    } finally {
      await context.close();
    }
  },
};
