import { allowFor, expect, startOwnServer, TandemApp, test, uniqueName } from "./fixtures.ts";
import { APP_PORT, MODEL_PORT } from "./suite.ts";

/** The per-user limits on replies, as the user meets them: in the chat, with the server's words. */

/**
 * A server of the test's own (a fresh PGlite): the limits count per user, and in the
 * suite's server every test is the same local owner.
 */
function ownServer(port: number, env: Record<string, string> = {}) {
  return startOwnServer(port, {
    DATA_DIR: "fresh",
    DATABASE_URL: "",
    AI_BASE_URL: `http://127.0.0.1:${MODEL_PORT}/v1`,
    AI_MODEL: "scripted",
    ...env,
  });
}

test("past the daily limit a message is not sent, and the chat says why", async ({ page }) => {
  const port = APP_PORT + 72;
  const server = await ownServer(port, { CHAT_DAILY_LIMIT: "1" });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const app = new TandemApp(page);
    await app.createProject(uniqueName("Daily"));
    await app.sendMessage("the one reply of the day");
    await expect(app.log.locator('article[data-role="assistant"]')).toHaveAttribute(
      "data-status",
      "complete",
    );

    await app.sendMessage("one too many");
    await expect(app.message("one too many")).toHaveAttribute("data-status", "failed");
    await expect(app.message("one too many")).toContainText(/Not sent: .+/);
    await expect(app.message("one too many").getByRole("button", { name: "Retry" })).toBeVisible();
  } finally {
    await server.stop();
  }
});

test("a third reply at once waits for one of the two running, says so, then goes by itself", async ({
  page,
}) => {
  // Two replies long enough (20 s at the suite's pace) to still run when the third is sent.
  const longReply = "[tokens:500]";
  allowFor(60_000);
  const port = APP_PORT + 73;
  const server = await ownServer(port, { CHAT_MAX_RUNNING: "2" });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const app = new TandemApp(page);
    await app.createProject(uniqueName("Busy one"));
    await app.sendMessage(`first ${longReply}`);
    await expect(app.message("first")).toHaveAttribute("data-status", "complete");
    await app.createProject(uniqueName("Busy two"));
    await app.sendMessage(`second ${longReply}`);
    await expect(app.message("second")).toHaveAttribute("data-status", "complete");

    await app.createProject(uniqueName("Waiting"));
    await app.sendMessage("third, over the limit");
    // Shown only while the message waits as failed, with the server's reason.
    await expect(app.message("third, over the limit")).toContainText(/Not sent: .+/);
    // Not refused for good: it is sent once a reply ends.
    await expect(app.message("third, over the limit")).toHaveAttribute("data-status", "complete", {
      timeout: 60_000,
    });
  } finally {
    await server.stop();
  }
});

test("a browser past the feed's connection limit says why it is not live, and goes live once a place frees", async ({
  browser,
}) => {
  const port = APP_PORT + 81;
  const server = await ownServer(port, { FEED_MAX_CONNECTIONS_PER_USER: "1" });
  // Two browsers (contexts) of the one local owner: each keeps a feed connection of its own.
  const first = await browser.newContext();
  const second = await browser.newContext();
  try {
    const firstApp = new TandemApp(await first.newPage());
    await firstApp.page.goto(`http://127.0.0.1:${port}/`);
    await expect(firstApp.connection).toHaveText("Online");

    const secondApp = new TandemApp(await second.newPage());
    await secondApp.page.goto(`http://127.0.0.1:${port}/`);
    await expect(secondApp.connection).toHaveText("Not live: too many open windows");
    await expect(secondApp.connection).toHaveAttribute("title", /close a tab or window/);
    await expect(firstApp.connection).toHaveText("Online");

    await first.close();
    await expect(secondApp.connection).toHaveText("Online", { timeout: 30_000 });
  } finally {
    await first.close();
    await second.close();
    await server.stop();
  }
});
