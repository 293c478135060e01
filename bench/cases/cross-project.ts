import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { newContext, readProbe, waitIdle } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, pass } from "../lib/types.ts";

const SLOWDOWN_LIMIT = 1.5;
/** A's reply: 400 tokens, 10 ms apart, about 4 s. */
const LONG_REPLY = "[tokens:400] [delay:10]";

const nav = (page: Page) => page.getByRole("navigation", { name: "Projects" });
const composer = (page: Page) => page.getByRole("textbox", { name: "Message", exact: true });

async function goTo(page: Page, name: string) {
  await nav(page).getByRole("link", { name, exact: true }).click();
  await page.getByRole("heading", { name, exact: true }).waitFor();
}

/**
 * Types `text`, presses Enter and answers the time from the keydown to the user's
 * message showing confirmed by the server (data-status="complete"), by the page's clock.
 */
async function sendAndConfirm(page: Page, text: string): Promise<number> {
  await composer(page).fill(text);
  // No named functions inside: tsx would wrap them in a helper the page does not have.
  await page.evaluate((t) => {
    const w = window as unknown as { __confirmed?: Promise<number> };
    w.__confirmed = new Promise<number>((resolve) => {
      const observer = new MutationObserver(() => {
        const articles = document.querySelectorAll(
          '[role="log"] article[data-role="user"][data-status="complete"]',
        );
        if (![...articles].some((article) => article.textContent?.includes(t))) return;
        observer.disconnect();
        resolve(performance.now());
      });
      observer.observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ["data-status"],
      });
    });
  }, text);
  const before = (await readProbe(page)).sends.length;
  await composer(page).press("Enter");
  const confirmedAt = await page.evaluate(
    () => (window as unknown as { __confirmed: Promise<number> }).__confirmed,
  );
  const sentAt = (await readProbe(page)).sends[before];
  if (sentAt === undefined) throw new Error("The Enter keydown was not recorded");
  return confirmedAt - sentAt;
}

/**
 * "A long reply in one project never delays a write in another": in one tab, project A
 * streams a long reply and holds a follow-up message; meanwhile a message is sent in
 * project B. Time from Enter in B to B's message confirmed, against the same with no
 * reply running anywhere.
 */
export const crossProject: BenchCase = {
  name: "cross-project",
  async run({ browser, stack, api, quick }) {
    const label = "write in B while A streams a long reply";
    const a = await api.createProject(`Bench streaming ${randomUUID().slice(0, 8)}`);
    const b = await api.createProject(`Bench writing ${randomUUID().slice(0, 8)}`);
    const context = await newContext(browser, stack.url);
    try {
      const page = await context.newPage();
      await page.goto(`/projects/${b.id}`);
      await page.getByRole("heading", { name: b.name, exact: true }).waitFor();
      const count = quick ? 5 : 15;
      const quiet: number[] = [];
      const loaded: number[] = [];
      // Warm up once (the markdown chunk, the first write), then alternate the two.
      await sendAndConfirm(page, `warm-up ${randomUUID().slice(0, 8)} [tokens:1]`);
      await waitIdle(page);
      for (let i = 0; i < count; i++) {
        quiet.push(await sendAndConfirm(page, `quiet ${i} ${randomUUID().slice(0, 8)} [tokens:1]`));
        await waitIdle(page);

        await goTo(page, a.name);
        await composer(page).fill(`long ${i} ${randomUUID().slice(0, 8)} ${LONG_REPLY}`);
        await composer(page).press("Enter");
        await page.locator('[role="log"] article[data-role="assistant"][data-status="streaming"]').waitFor();
        await composer(page).fill(`follow-up ${i} ${randomUUID().slice(0, 8)} [tokens:1]`);
        await composer(page).press("Enter");
        await goTo(page, b.name);
        loaded.push(await sendAndConfirm(page, `meanwhile ${i} ${randomUUID().slice(0, 8)} [tokens:1]`));
        await waitIdle(page);
        await goTo(page, a.name);
        await waitIdle(page, 120_000);
        await goTo(page, b.name);
      }
      const q = summarize(quiet);
      const l = summarize(loaded);
      const ratio = l.p50 / q.p50;
      return {
        rows: [
          {
            case: `${label}: Enter → confirmed`,
            ...l,
            unit: "ms",
            target: `p50 ≤ ${SLOWDOWN_LIMIT}× with no reply running`,
            status: pass(ratio <= SLOWDOWN_LIMIT),
            note: `${ratio.toFixed(2)}× the quiet p50 (${q.p50.toFixed(1)} ms)`,
          },
        ],
        distributions: [
          { label: "write in B, quiet", samples: quiet },
          { label: "write in B, A streaming", samples: loaded },
        ],
        details: { quiet, loaded },
      };
    } finally {
      await context.close();
    }
  },
};
