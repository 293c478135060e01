import type { BrowserContext, Page } from "@playwright/test";
import { expect, expectsLongReply, startOwnServer, TandemApp, test, uniqueName } from "./fixtures.ts";
import { APP_PORT } from "./suite.ts";

/** A second browser (its own storage and feed connection), opened on the app. */
async function secondBrowser(context: BrowserContext, path = "/"): Promise<{ page: Page; app: TandemApp }> {
  const other = await context.browser()?.newContext();
  if (!other) throw new Error("no browser");
  const page = await other.newPage();
  await page.goto(path);
  const app = new TandemApp(page);
  await expect(app.connection).toHaveText("Online");
  return { page, app };
}

/**
 * Counts nodes holding `text` that leave the DOM: an optimistic row replaced by its
 * confirmed row must stay the same node, never be removed and added again.
 */
async function watchRemovals(page: Page, text: string): Promise<() => Promise<number>> {
  await page.evaluate((watched) => {
    const state = { removed: 0 };
    (window as unknown as { __removals: typeof state }).__removals = state;
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.removedNodes) {
          if (node.nodeType === Node.ELEMENT_NODE && node.textContent?.includes(watched)) state.removed++;
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }, text);
  return () =>
    page.evaluate(() => (window as unknown as { __removals: { removed: number } }).__removals.removed);
}

test("a project created, renamed and deleted in one browser changes in the other at once", async ({
  app,
  page,
  context,
}) => {
  await page.goto("/");
  await expect(app.connection).toHaveText("Online");
  const other = await secondBrowser(context);

  const name = uniqueName("Shared");
  const removals = await watchRemovals(page, name);
  const id = await app.createProject(name);
  await expect(other.app.projectLink(name)).toBeVisible();
  await expect(app.projectLink(name)).toBeVisible();
  expect(await removals()).toBe(0);

  await other.page.goto(`/projects/${id}`);
  await expect(other.app.heading(name)).toBeVisible();

  const renamed = `${name} renamed`;
  await app.renameButton.click();
  await app.projectNameInput.fill(renamed);
  await app.projectNameInput.press("Enter");
  await expect(other.app.heading(renamed)).toBeVisible();
  await expect(other.app.projectLink(renamed)).toBeVisible();

  await app.deleteButton.click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(other.app.projectLink(renamed)).toHaveCount(0);
  await other.page.context().close();
});

test("a message and its streaming reply in one browser are followed live in the other", async ({
  app,
  api,
  page,
  context,
}) => {
  const project = await api.createProject(uniqueName("Live chat"));
  await app.open(project);
  await expect(app.connection).toHaveText("Online");
  const other = await secondBrowser(context, `/projects/${project.id}`);
  await expect(other.app.heading(project.name)).toBeVisible();

  const untilComplete = expectsLongReply();
  const text = `Live ${uniqueName("hello")} [long]`;
  const removals = await watchRemovals(page, text);
  await app.sendMessage(text);

  await expect(other.app.message(text)).toHaveAttribute("data-status", "complete");
  const reply = other.app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "streaming");
  await expect(reply).toContainText("word20");
  await expect(reply).toHaveAttribute("data-status", "complete", untilComplete);
  await expect(reply).toContainText("word200");
  expect(await removals()).toBe(0);
  await other.page.context().close();
});

test("tabs of one browser share the feed and stay in step", async ({ app, page, context }) => {
  await page.goto("/");
  const second = await context.newPage();
  await second.goto("/");
  const secondApp = new TandemApp(second);
  await expect(secondApp.connection).toHaveText("Online");

  const name = uniqueName("Tab to tab");
  await secondApp.createProject(name);
  await expect(app.projectLink(name)).toBeVisible();

  // The tab holding the feed goes away: the other one takes it over.
  await page.close();
  const third = await context.newPage();
  await third.goto("/");
  const thirdApp = new TandemApp(third);
  const later = uniqueName("After handover");
  await thirdApp.createProject(later);
  await expect(secondApp.projectLink(later)).toBeVisible();
  await expect(secondApp.connection).toHaveText("Online");
});

test("the connection status says Offline without a network, and nothing is lost meanwhile", async ({
  app,
  api,
  page,
  context,
}) => {
  await page.goto("/");
  await expect(app.connection).toHaveText("Online");

  await context.setOffline(true);
  await expect(app.connection).toHaveText("Offline");
  const made = await api.createProject(uniqueName("Made while offline"));

  await context.setOffline(false);
  await expect(app.connection).toHaveText("Online");
  await expect(app.projectLink(made.name)).toBeVisible();
});

test("a rename based on an old version is refused: it rolls back to the server's name and says so", async ({
  app,
  api,
  context,
}) => {
  const project = await api.createProject(uniqueName("Contested"));
  await app.open(project);
  const other = await secondBrowser(context, `/projects/${project.id}`);
  await expect(other.app.heading(project.name)).toBeVisible();

  // The other browser stops hearing changes (its feed drops and cannot come back), so
  // its copy goes stale while it can still write.
  await other.page.route("**/api/changes**", (route) => route.abort());
  await other.page.context().setOffline(true);
  await expect(other.app.connection).toHaveText("Offline");
  await other.page.context().setOffline(false);
  await expect(other.app.connection).toHaveText("Reconnecting");

  const winner = `${project.name} (theirs)`;
  await app.renameButton.click();
  await app.projectNameInput.fill(winner);
  await app.projectNameInput.press("Enter");
  await expect(app.heading(winner)).toBeVisible();

  await other.app.renameButton.click();
  await other.app.projectNameInput.fill(`${project.name} (mine)`);
  await other.app.projectNameInput.press("Enter");

  await expect(other.app.heading(winner)).toBeVisible();
  await expect(other.page.getByRole("alert")).toContainText("Couldn't rename");
  expect((await api.projects()).find((p) => p.id === project.id)?.name).toBe(winner);
  await other.page.context().close();
});

test("a change made through one server instance shows in a browser connected to another", async ({
  api,
  page,
}) => {
  const databaseUrl = process.env.DATABASE_URL;
  test.skip(!databaseUrl, "two instances share a Postgres; PGlite belongs to one process");
  const port = APP_PORT + 60;
  const second = await startOwnServer(port, { DATABASE_URL: databaseUrl as string });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const app = new TandemApp(page);
    await expect(app.connection).toHaveText("Online");

    // Written through the suite's own server; seen through the second one's feed.
    const project = await api.createProject(uniqueName("Across instances"));
    await expect(app.projectLink(project.name)).toBeVisible();
    await app.projectLink(project.name).click();
    await api.createMessage(project.id, "written on the other instance");
    await expect(app.message("written on the other instance")).toHaveAttribute("data-status", "complete");
  } finally {
    await second.stop();
  }
});
