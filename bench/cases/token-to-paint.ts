import { newContext, openProject, readProbe } from "../lib/browser.ts";
import { summarize } from "../lib/stats.ts";
import { type BenchCase, pass } from "../lib/types.ts";
import { sendAndMeasure } from "./send-to-paint.ts";

const TARGET_MS = 20;
const LONG_TASK_LIMIT_MS = 50;
const TOKENS = 200;

/**
 * Replies of 200 tokens at 200 tokens/s (the bench model). For each token: from the
 * moment its chunk of the chat stream reached the page (a tee of the fetch body) to the
 * moment its text was in the DOM; and the page's long tasks while the replies streamed.
 */
export const tokenToPaint: BenchCase = {
  name: "token-to-paint",
  async run({ browser, stack, api, quick }) {
    const project = await api.createProject("Bench streaming");
    const seed = await api.postMessage(project.id, "A chat with a few messages before the replies.");
    const context = await newContext(browser, stack.url);
    try {
      const page = await context.newPage();
      await openProject(page, project.id, seed.content);
      await sendAndMeasure(page, "warm-up [tokens:20]");
      const samples: number[] = [];
      const longTasks: number[] = [];
      const replies = quick ? 1 : 3;
      for (let r = 0; r < replies; r++) {
        await page.evaluate(() =>
          (window as unknown as { __bench: { resetTokens(): void } }).__bench.resetTokens(),
        );
        const before = (await readProbe(page)).longTasks.length;
        await sendAndMeasure(page, `stream ${r} [tokens:${TOKENS}]`);
        const probe = await readProbe(page);
        let missing = 0;
        for (let k = 1; k <= TOKENS; k++) {
          const arrived = probe.tokenArrived[k];
          const shown = probe.tokenShown[k];
          if (arrived == null || shown == null) missing++;
          else samples.push(shown - arrived);
        }
        if (missing > 0) throw new Error(`${missing} of ${TOKENS} tokens were not both received and shown`);
        longTasks.push(...probe.longTasks.slice(before).map((task) => task.duration));
      }
      const stats = summarize(samples);
      const longest = longTasks.length ? Math.max(...longTasks) : 0;
      return {
        rows: [
          {
            case: "token-to-paint (200 tok/s)",
            ...stats,
            unit: "ms",
            target: `p50 ≤ ${TARGET_MS} ms`,
            status: pass(stats.p50 <= TARGET_MS),
          },
          {
            case: "long tasks while streaming",
            n: longTasks.length,
            unit: "ms",
            p50: longest,
            target: `none > ${LONG_TASK_LIMIT_MS} ms`,
            status: pass(longest <= LONG_TASK_LIMIT_MS),
            note: `longest; ${longTasks.length} long task(s) in ${replies} repl${replies === 1 ? "y" : "ies"}`,
          },
        ],
        distributions: [{ label: "token-to-paint", samples, target: TARGET_MS }],
        details: { samples, longTasks },
      };
    } finally {
      await context.close();
    }
  },
};
