import type { Page } from "@playwright/test";
import { expect, TandemApp, test, uniqueName } from "./fixtures.ts";

/**
 * Watches the user's message articles in a page: every text shown once, and how many
 * of those articles left the DOM since. A message confirmed elsewhere must stay the
 * same node: never removed, not even for a frame.
 */
async function watchUserMessages(page: Page): Promise<() => Promise<{ shown: string[]; removed: string[] }>> {
  await page.evaluate(() => {
    const state = { shown: [] as string[], removed: [] as string[] };
    (window as unknown as { __watched: typeof state }).__watched = state;
    const articlesIn = (node: Node): Element[] => {
      if (!(node instanceof Element)) return [];
      const own = node.matches('article[data-role="user"]') ? [node] : [];
      return [...own, ...node.querySelectorAll('article[data-role="user"]')];
    };
    for (const article of articlesIn(document.body)) state.shown.push(article.textContent ?? "");
    new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          for (const article of articlesIn(node)) state.shown.push(article.textContent ?? "");
        }
        for (const node of record.removedNodes) {
          for (const article of articlesIn(node)) state.removed.push(article.textContent ?? "");
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  return () =>
    page.evaluate(
      () => (window as unknown as { __watched: { shown: string[]; removed: string[] } }).__watched,
    );
}

test("a message sent in one tab shows in another tab of the same browser and never leaves it", async ({
  api,
  app,
  context,
}) => {
  const project = await api.createProject(uniqueName("Two tabs"));
  await app.open(project);
  await expect(app.connection).toHaveText("Online");
  const otherPage = await context.newPage();
  const other = new TandemApp(otherPage);
  await other.open(project);
  await expect(other.connection).toHaveText("Online");
  await expect(other.log).toBeVisible();
  const watched = await watchUserMessages(otherPage);
  const watchedHere = await watchUserMessages(app.page);

  const texts = Array.from({ length: 8 }, (_, i) => `${uniqueName("tab")} ${i}`);
  for (const text of texts) {
    await app.sendMessage(text);
    await expect(other.message(text)).toHaveCount(1);
    await expect(app.message(text)).toHaveAttribute("data-status", "complete");
    await expect(other.message(text)).toHaveAttribute("data-status", "complete");
  }
  // Every reply has ended, so nothing more is on its way.
  await expect(app.log.locator('article[data-role="assistant"][data-status="complete"]')).toHaveCount(
    texts.length,
  );
  await expect(other.log.locator('article[data-role="assistant"][data-status="complete"]')).toHaveCount(
    texts.length,
  );

  for (const text of texts) await expect(other.message(text)).toHaveCount(1);
  const { shown, removed } = await watched();
  for (const text of texts) expect(shown.some((content) => content.includes(text))).toBe(true);
  expect(removed).toEqual([]);
  // In the sending tab too, the row the user made gives way to the stored one in place.
  expect((await watchedHere()).removed).toEqual([]);
  await otherPage.close();
});

test("a project created, renamed and deleted in one tab changes in another tab of the same browser", async ({
  app,
  page,
  context,
}) => {
  await page.goto("/");
  await expect(app.connection).toHaveText("Online");
  const otherPage = await context.newPage();
  await otherPage.goto("/");
  const other = new TandemApp(otherPage);
  await expect(other.connection).toHaveText("Online");

  const name = uniqueName("Tabbed");
  await app.createProject(name);
  await expect(other.projectLink(name)).toBeVisible();
  await expect(other.nav.getByRole("listitem").filter({ hasText: name })).toHaveAttribute(
    "data-status",
    "saved",
  );

  const renamed = `${name} renamed`;
  await app.renameButton.click();
  await app.projectNameInput.fill(renamed);
  await app.projectNameInput.press("Enter");
  await expect(other.projectLink(renamed)).toBeVisible();
  await expect(other.nav.getByRole("listitem").filter({ hasText: renamed })).toHaveAttribute(
    "data-status",
    "saved",
  );

  await app.deleteButton.click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete", exact: true }).click();
  await expect(other.projectLink(renamed)).toHaveCount(0);
  await expect(app.projectLink(renamed)).toHaveCount(0);
  await otherPage.close();
});
