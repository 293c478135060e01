import { MESSAGE_CONTENT_MAX } from "../packages/shared/src/index.ts";
import { expect, test, uniqueName } from "./fixtures.ts";

test("a message past the limit is kept whole, said to be too long by how much, and not sent until it fits", async ({
  app,
  page,
  store,
}) => {
  await page.goto("/");
  const projectId = await app.createProject(uniqueName("Long paste"));
  const note = page.locator("#composer-length");

  // Near the limit: the count.
  await app.messageInput.fill("a".repeat(95_000));
  await expect(note).toHaveText("95,000 / 100,000 characters");
  await expect(app.sendButton).toBeEnabled();

  // Past it: nothing is cut, sending waits. (Half as much again: a trace of every step
  // holds the page, so a 2 MB paste is tried by hand, not here.)
  const pasted = "b".repeat(MESSAGE_CONTENT_MAX + 50_000);
  await app.messageInput.fill(pasted);
  await expect(note).toHaveText("Too long by 50,000 characters (the most is 100,000)");
  expect(await app.messageInput.evaluate((box) => (box as HTMLTextAreaElement).value.length)).toBe(
    pasted.length,
  );
  await expect(app.sendButton).toBeDisabled();
  await app.messageInput.press("Enter");
  await expect(app.messageInput).toHaveAttribute("aria-invalid", "true");
  expect(await app.messageInput.evaluate((box) => (box as HTMLTextAreaElement).value.length)).toBe(
    pasted.length,
  );

  // Cut to fit by the user: it sends whole.
  const fits = "c".repeat(MESSAGE_CONTENT_MAX);
  await app.messageInput.fill(fits);
  await expect(note).toHaveText("100,000 / 100,000 characters");
  await app.sendButton.click();
  await expect(app.messageInput).toHaveValue("");
  await expect
    .poll(async () => (await store.messages(projectId))[0]?.content.length)
    .toBe(MESSAGE_CONTENT_MAX);
  expect((await store.messages(projectId)).filter((m) => m.role === "user")).toHaveLength(1);
});
