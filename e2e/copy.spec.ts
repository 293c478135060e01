import { expect, test, uniqueName } from "./fixtures.ts";

test.use({ permissions: ["clipboard-read", "clipboard-write"] });

const clipboard = (page: import("@playwright/test").Page) =>
  page.evaluate(() => navigator.clipboard.readText());

test("Copy puts a message's Markdown on the clipboard and says Copied", async ({ app, page, store }) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Copying"));
  const question = "Line one\n\nLine *two* with `code`";
  await app.messageInput.fill(question);
  await app.sendButton.click();

  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "complete", { timeout: 15_000 });

  const mine = app.userMessages.first();
  await mine.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(mine.getByRole("status")).toHaveText("Copied");
  expect(await clipboard(page)).toBe(question);

  // The reply's Markdown as stored, not the rendered text.
  await reply.getByRole("button", { name: "Copy", exact: true }).click();
  await expect(reply.getByRole("status")).toHaveText("Copied");
  const stored = (await store.messages(projectId)).find((m) => m.role === "assistant");
  expect(stored?.content).toContain("**Scripted reply.**");
  expect(await clipboard(page)).toBe(stored?.content);

  // "Copied" is brief.
  await expect(reply.getByRole("status")).toHaveText("");
});
