import type { Locator, Page } from "@playwright/test";
import { allowFor, expect, test, uniqueName } from "./fixtures.ts";

test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

/**
 * The project's actions, by the names they have at every width, sit on one row, on the
 * line of the project's name (`heading`) and inside the screen.
 */
async function expectActionsOnOneRow(page: Page, heading: Locator) {
  const names = ["Project settings", "Export project", "Rename project", "Delete project"];
  const title = await heading.boundingBox();
  if (!title) throw new Error("The project's name is not on screen");
  const width = page.viewportSize()?.width ?? 0;
  for (const name of names) {
    const box = await page.getByRole("button", { name, exact: true }).boundingBox();
    if (!box) throw new Error(`"${name}" is not on screen`);
    expect(Math.abs(box.y + box.height / 2 - (title.y + title.height / 2)), name).toBeLessThan(
      box.height / 2,
    );
    expect(box.x + box.width, name).toBeLessThanOrEqual(width);
  }
}

test("below 640 px the project list is a drawer; the composer stays at the bottom; actions show without hover", async ({
  app,
  page,
  api,
}, testInfo) => {
  // A reply is part of it.
  allowFor(15_000);
  const first = await api.createProject(uniqueName("Narrow one"));
  const second = await api.createProject(uniqueName("Narrow two"));
  await page.goto(`/projects/${first.id}`);
  await expect(app.heading(first.name)).toBeVisible();
  await expectActionsOnOneRow(page, app.heading(first.name));

  // The list is out of the way until asked for.
  const drawerButton = page.getByRole("button", { name: "Projects", exact: true });
  await expect(app.nav).toBeHidden();
  await expect(drawerButton).toHaveAttribute("aria-expanded", "false");
  await drawerButton.click();
  await expect(app.nav).toBeVisible();
  await expect(drawerButton).toHaveAttribute("aria-expanded", "true");
  await page.screenshot({ path: testInfo.outputPath("drawer-open.png") });
  // The chat behind it is out of reach: Tab walks the list, never the chat.
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") === null)).toBe(true);
  }

  // Choosing a project closes it.
  await app.projectLink(second.name).click();
  await expect(app.heading(second.name)).toBeVisible();
  await expect(app.nav).toBeHidden();

  // Escape closes it too, and gives the focus back to its button.
  await drawerButton.click();
  await expect(app.nav).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(app.nav).toBeHidden();
  await expect(drawerButton).toBeFocused();

  // The composer is at the bottom of the screen, whole.
  await app.sendMessage("Hello from a phone");
  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  const composer = await page.locator("form.composer").boundingBox();
  expect(composer).not.toBeNull();
  expect((composer?.y ?? 0) + (composer?.height ?? 0)).toBeCloseTo(844, 0);
  expect(composer?.width).toBeLessThanOrEqual(390);
  // Nothing is wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

  // A message's actions are there to tap, without hovering.
  const copy = app.message("Hello from a phone").getByRole("button", { name: "Copy", exact: true });
  await expect(copy).toBeVisible();
  expect(await copy.evaluate((button) => getComputedStyle(button.parentElement as Element).opacity)).toBe(
    "1",
  );
  await page.screenshot({ path: testInfo.outputPath("chat.png") });
});

test("from 640 px up the project list stays beside the chat, with no Projects button", async ({
  app,
  page,
  api,
}) => {
  await page.setViewportSize({ width: 640, height: 800 });
  const project = await api.createProject(uniqueName("Wide enough"));
  await page.goto(`/projects/${project.id}`);
  await expect(app.nav).toBeVisible();
  await expect(page.getByRole("button", { name: "Projects", exact: true })).toBeHidden();
  // Beside the list the chat's column is narrow too: the project's name stays in view.
  await expect(app.heading(project.name)).toBeVisible();
  await expectActionsOnOneRow(page, app.heading(project.name));
});
