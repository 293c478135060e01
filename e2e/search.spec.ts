import { randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { expect, inServiceWorkersHands, storedLocally, test, uniqueName } from "./fixtures.ts";

/** A word no other test (or earlier run) uses: each test finds only its own rows. */
const uniqueWord = () =>
  `zq${randomUUID()
    .replace(/[^a-f]/g, "")
    .slice(0, 10)}`;

function search(page: Page) {
  const dialog = page.getByRole("dialog", { name: "Search", exact: true });
  return {
    dialog,
    box: dialog.getByRole("searchbox", { name: "Search messages", exact: true }),
    options: dialog.getByRole("listbox").getByRole("option"),
  };
}

/** `count` chat lines `#i routine status update`, numbered from `from`. */
const routine = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `#${from + i} routine status update`);

test.describe("search", () => {
  test("from the keyboard: Ctrl+K, type, arrows, Enter opens a hit far back in a long project, highlighted", async ({
    api,
    app,
    page,
  }) => {
    const word = uniqueWord();
    const needle = { content: `The foxes were jumping over the fence ${word}` };
    const long = await api.importProject(uniqueName("Long project"), [
      ...routine(1, 300),
      needle.content,
      ...routine(301, 2700),
    ]);
    const other = await api.createProject(uniqueName("Other project"));
    await api.createMessage(other.id, `A fox jump seen from the window ${word}`);

    await app.open(other);
    await page.keyboard.press("ControlOrMeta+k");
    const { dialog, box, options } = search(page);
    await expect(dialog).toBeVisible();
    await expect(box).toBeFocused();
    await box.pressSequentially(`fox jump ${word}`);

    await expect(options).toHaveCount(2);
    const longHit = options.filter({ hasText: long.name });
    await expect(longHit.locator("mark")).toHaveText(["foxes", "jumping", word]);
    await expect(options.filter({ hasText: other.name }).locator("mark")).toHaveText(["fox", "jump", word]);

    // The arrows move the active option; the searchbox keeps the focus.
    await expect(options.first()).toHaveAttribute("aria-selected", "true");
    await box.press("ArrowDown");
    await expect(options.nth(1)).toHaveAttribute("aria-selected", "true");
    await expect(options.first()).toHaveAttribute("aria-selected", "false");
    await box.press("ArrowDown");
    await expect(options.nth(1)).toHaveAttribute("aria-selected", "true");
    await box.press("ArrowUp");
    await expect(options.first()).toHaveAttribute("aria-selected", "true");
    await expect(box).toHaveAttribute(
      "aria-activedescendant",
      (await options.first().getAttribute("id")) ?? "",
    );
    if ((await options.first().textContent())?.includes(long.name) === false) await box.press("ArrowDown");
    await expect(dialog.locator('[role="option"][aria-selected="true"]')).toContainText(long.name);
    await box.press("Enter");

    await expect(dialog).toBeHidden();
    await expect(app.heading(long.name)).toBeVisible();
    const hit = app.message(needle.content);
    await expect(hit).toHaveAttribute("data-highlighted", "true");
    await expect(hit).toBeInViewport();
    // The messages around it are there, the newest are not (3,000 messages later).
    await expect(app.message("#300 routine")).toHaveCount(1);
    await expect(app.message("#301 routine")).toHaveCount(1);
    await expect(app.message("#3000 routine")).toHaveCount(0);
    // The highlight fades after a while.
    await expect(hit).not.toHaveAttribute("data-highlighted", "true");

    // Earlier and newer pages load from there; "Jump to newest" goes back to the end.
    await page.getByRole("button", { name: "Show newer messages" }).click();
    await expect(app.message("#400 routine")).toHaveCount(1);
    await page.getByRole("button", { name: "Jump to newest" }).click();
    await expect(app.message("#3000 routine")).toBeInViewport();
    await expect(page.getByRole("button", { name: "Jump to newest" })).toHaveCount(0);
  });

  test('the "Search" button opens it; no hits says "No results"; Escape closes it', async ({ app, page }) => {
    await page.goto("/");
    await app.page.getByRole("button", { name: "Search", exact: true }).click();
    const { dialog, box, options } = search(page);
    await box.fill(uniqueWord());
    await expect(dialog.getByText("No results", { exact: true })).toBeVisible();
    await expect(options).toHaveCount(0);
    await box.press("Escape");
    await expect(dialog).toBeHidden();
  });

  test("a message's own HTML shows as text; a project-name hit opens the project", async ({
    api,
    app,
    page,
  }) => {
    const word = uniqueWord();
    const project = await api.createProject(uniqueName(`Roadmap ${word}`));
    await api.createMessage(project.id, `<img src=x onerror="document.title='owned'"> <b>${word}</b> & more`);
    await page.goto("/");
    // The shortcut is the app's: it listens once the app is up.
    await expect(page.getByRole("button", { name: "Search", exact: true })).toBeVisible();
    await page.keyboard.press("ControlOrMeta+k");
    const { dialog, box, options } = search(page);
    await expect(dialog).toBeVisible();
    await box.fill(word);

    await expect(options).toHaveCount(2);
    await expect(options.first()).toContainText(project.name);
    await expect(options.nth(1)).toContainText(
      `<img src=x onerror="document.title='owned'"> <b>${word}</b> & more`,
    );
    await expect(options.nth(1).locator("mark")).toHaveText([word]);
    await expect(dialog.locator("img, b")).toHaveCount(0);
    expect(await page.title()).not.toBe("owned");

    await options.first().click();
    await expect(app.heading(project.name)).toBeVisible();
  });

  test("a hit in a message written in Markdown reads as text, without its syntax", async ({ api, page }) => {
    const word = uniqueWord();
    const project = await api.createProject(uniqueName("Markdown notes"));
    await api.createMessage(
      project.id,
      `## Plan\n\nWe **${word}** it on _Friday_, see [the notes](https://example.test/n)`,
    );
    await page.goto("/");
    await expect(page.getByRole("button", { name: "Search", exact: true })).toBeVisible();
    await page.keyboard.press("ControlOrMeta+k");
    const { box, options } = search(page);
    await box.fill(word);

    await expect(options).toHaveCount(1);
    await expect(options.first()).toContainText(`Plan We ${word} it on Friday, see the notes`);
    await expect(options.first().locator("mark")).toHaveText([word]);
  });

  test.describe("offline", () => {
    // The dialog's code comes from the service worker's cache when there is no network.
    test.use({ serviceWorkers: "allow" });

    test("the saved messages are searched, and the dialog says so", async ({ api, app, page, context }) => {
      const word = uniqueWord();
      const project = await api.createProject(uniqueName("Saved here"));
      const saved = await api.createMessage(project.id, `Notes on the releases ${word}`);
      await app.open(project);
      await expect(app.message(saved.content)).toBeVisible();
      // In the replica (written in batches), and the service worker in charge, before the network goes.
      await expect.poll(async () => (await storedLocally(page)).includes(saved.content)).toBe(true);
      await inServiceWorkersHands(page);

      await context.setOffline(true);
      await expect(app.connection).toHaveText("Offline");
      await page.keyboard.press("ControlOrMeta+k");
      const { dialog, box, options } = search(page);
      await box.fill(`released ${word}`);

      await expect(dialog.getByText("only from saved messages")).toBeVisible();
      await expect(options).toHaveCount(1);
      await expect(options.first().locator("mark")).toHaveText(["releases", word]);
      await box.press("Enter");
      await expect(app.message(saved.content)).toHaveAttribute("data-highlighted", "true");
    });
  });
});
