import type { Page } from "@playwright/test";
import { allowFor, expect, expectsLongReply, modelRequests, test, uniqueName } from "./fixtures.ts";
import { TOKEN_DELAY_MS } from "./suite.ts";

/**
 * The texts the first element matching `selector` shows while it changes, sampled every
 * animation frame from now on (start it before the element exists, so no change is missed).
 */
async function watchTexts(page: Page, selector: string): Promise<() => Promise<string[]>> {
  await page.evaluate((watched) => {
    const seen: string[] = [];
    (window as unknown as { __seen: string[] }).__seen = seen;
    const sample = () => {
      const text = document.querySelector(watched)?.textContent ?? "";
      if (text && seen.at(-1) !== text) seen.push(text);
      requestAnimationFrame(sample);
    };
    sample();
  }, selector);
  return () => page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
}

test("a reply streams in, ends complete, and is stored with the same text", async ({ app, page, store }) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Streaming"));
  const texts = await watchTexts(page, 'article[data-role="assistant"] .message-body');
  // A slower pace than the suite's: a busy machine still paints several of its steps.
  const question = "Tell me three things [delay:120]";
  await app.sendMessage(question);

  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveCount(1);
  await expect(reply).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await expect(reply).toContainText("You said: Tell me three things");

  const seen = (await texts()).filter((text) => text.includes("Scripted"));
  expect(seen.length, `intermediate texts: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(3);

  await expect
    .poll(async () => (await store.messages(projectId)).map((m) => [m.role, m.status]))
    .toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
  const [, stored] = await store.messages(projectId);
  expect(stored?.content).toContain("You said: Tell me three things");
  // The model was asked with the instructions first and the user's message last.
  const asked = (await modelRequests(question)).at(-1);
  expect(asked?.messages[0]?.role).toBe("system");
  expect(asked?.messages.at(-1)).toEqual({ role: "user", content: question });
  // Markdown is rendered, not shown raw.
  await expect(reply.locator('[data-streamdown="strong"]')).toHaveText("Scripted reply.");
  await expect(reply.getByRole("listitem")).toHaveCount(3);
  await page.reload();
  await expect(reply).toHaveAttribute("data-status", "complete");
});

test("Stop ends the reply where it is and keeps the text so far", async ({ app, page, store }) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Stopping"));
  await app.sendMessage("A long one [long]");

  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toContainText("word5");
  await page.getByRole("button", { name: "Stop", exact: true }).click();

  await expect(reply).toHaveAttribute("data-status", "stopped");
  await expect(page.getByRole("button", { name: "Stop", exact: true })).toHaveCount(0);
  const shown = (await reply.locator(".message-body").textContent()) ?? "";
  expect(shown).toContain("word5");
  expect(shown).not.toContain("word200");

  await expect.poll(async () => (await store.messages(projectId))[1]?.status).toBe("stopped");
  const stored = (await store.messages(projectId))[1];
  expect(stored?.content.trim()).toBe(shown.trim());
});

test("a reload in the middle of a reply shows the text so far and keeps streaming", async ({
  app,
  page,
  store,
}) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Reloading"));
  const untilComplete = expectsLongReply();
  await app.sendMessage("Keep going [long]");
  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toContainText("word10");

  await page.reload();
  await expect(reply).toHaveAttribute("data-status", "streaming");
  await expect(reply).toContainText("word10");
  await expect(reply).toContainText("word30");
  await expect(reply).toHaveAttribute("data-status", "complete", untilComplete);
  await expect(reply).toContainText("word200");
  await expect.poll(async () => (await store.messages(projectId))[1]?.status).toBe("complete");
});

test("another tab on the project follows a reply that is being written", async ({ app, page, context }) => {
  await page.goto("/");
  await app.createProject(uniqueName("Two tabs"));
  // Three times a [long] reply: still being written when the second tab has opened, even
  // on a busy machine where opening it takes seconds.
  const tokens = 600;
  const untilComplete = { timeout: 3 * tokens * TOKEN_DELAY_MS };
  allowFor(untilComplete.timeout);
  await app.sendMessage(`For both tabs [tokens:${tokens}]`);
  await expect(app.log.locator('article[data-role="assistant"]')).toContainText("word3");

  const other = await context.newPage();
  await other.goto(page.url());
  const otherReply = other.getByRole("log", { name: "Messages" }).locator('article[data-role="assistant"]');
  await expect(otherReply).toHaveAttribute("data-status", "streaming");
  await expect(otherReply).toContainText("word40");
  await expect(otherReply).toHaveAttribute("data-status", "complete", untilComplete);
  await expect(otherReply).toContainText(`word${tokens}`);
  await other.close();
});

test("a reply that fails mid-stream says why, keeps its text, and Retry writes it again", async ({
  app,
  page,
  store,
}) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Failing"));
  await app.sendMessage("This breaks [tokens:8] [crash:4] [once]");

  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "error", { timeout: 15_000 });
  await expect(reply).toContainText("The reply failed");
  await expect(reply.locator(".message-body")).toContainText("word4");
  await expect.poll(async () => (await store.messages(projectId))[1]?.status).toBe("error");

  await reply.getByRole("button", { name: "Retry", exact: true }).click();
  await expect(reply).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await expect(reply).toContainText("word8");
  await expect(reply.getByRole("button", { name: "Retry" })).toHaveCount(0);
  const stored = await store.messages(projectId);
  expect(stored.map((m) => [m.role, m.status])).toEqual([
    ["user", "complete"],
    ["assistant", "complete"],
  ]);
});
