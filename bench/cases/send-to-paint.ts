import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { newContext, openProject, readProbe, waitReplied, waitSeen, watch } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, pass } from "../lib/types.ts";

const TARGET_MS = 16;

/**
 * Types `text` into the composer, presses Enter and answers the time from the keydown to
 * the message in the DOM (both by the page's clock), then waits for its reply to end.
 */
export async function sendAndMeasure(page: Page, text: string): Promise<number> {
  const composer = page.getByRole("textbox", { name: "Message", exact: true });
  await composer.fill(text);
  await watch(page, text);
  const before = (await readProbe(page)).sends.length;
  await composer.press("Enter");
  const seen = await waitSeen(page, text);
  const sentAt = (await readProbe(page)).sends[before];
  if (sentAt === undefined) throw new Error("The Enter keydown was not recorded");
  await waitReplied(page, text);
  return seen - sentAt;
}

export const sendToPaint: BenchCase = {
  name: "send-to-paint",
  sizes: (quick) => [quick ? 2_000 : 10_000],
  async run({ browser, stack, fixtures, quick }) {
    const size = quick ? 2_000 : 10_000;
    const sends = quick ? 20 : 100;
    const { project, newest } = await fixtures.project(size);
    const context = await newContext(browser, stack.url);
    try {
      const page = await context.newPage();
      await openProject(page, project.id, newest);
      // Warm up: the first reply loads the markdown chunk.
      for (let i = 0; i < 2; i++)
        await sendAndMeasure(page, `warm-up ${i} ${randomUUID().slice(0, 8)} [tokens:1]`);
      const samples: number[] = [];
      for (let i = 0; i < sends; i++) {
        samples.push(await sendAndMeasure(page, `send ${i} ${randomUUID().slice(0, 8)} [tokens:1]`));
      }
      const stats = summarize(samples);
      return {
        rows: [
          {
            case: `send-to-paint (${size / 1000}k msgs)`,
            ...stats,
            unit: "ms",
            target: `p50 ≤ ${TARGET_MS} ms`,
            status: pass(stats.p50 <= TARGET_MS),
            note: "each reply ends before the next send",
          },
        ],
        distributions: [{ label: `send-to-paint (${size / 1000}k msgs)`, samples, target: TARGET_MS }],
        details: { size, samples },
      };
    } finally {
      await context.close();
    }
  },
};
