import { allowFor, expect, modelRequests, test, uniqueName } from "./fixtures.ts";

test("instructions saved in Project settings reach the model as its system message, in every tab", async ({
  app,
  page,
  context,
}) => {
  // Two tabs, a reply and a reload.
  allowFor(30_000);
  await page.goto("/");
  const name = uniqueName("Instructed");
  const projectId = await app.createProject(name);
  const other = await context.newPage();
  await other.goto(`/projects/${projectId}`);
  await expect(other.getByRole("heading", { name, exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Project settings", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Project settings" });
  const instructions = `Answer like a ship's captain. ${uniqueName("tag")}`;
  await dialog.getByRole("textbox", { name: "Instructions", exact: true }).fill(instructions);
  await dialog.getByRole("button", { name: "Save", exact: true }).click();
  await expect(dialog).toBeHidden();

  const question = uniqueName("Where to?");
  await app.sendMessage(question);
  await expect(app.log.locator('article[data-role="assistant"]')).toHaveAttribute("data-status", "complete", {
    timeout: 15_000,
  });
  const asked = (await modelRequests(question)).at(-1);
  expect(asked?.messages.filter((m) => m.role === "system").map((m) => m.content)).toContain(instructions);
  expect(asked?.messages.at(-1)).toEqual({ role: "user", content: question });

  // The other tab has them too (through the feed), and so does a reload.
  await other.getByRole("button", { name: "Project settings", exact: true }).click();
  await expect(
    other.getByRole("dialog", { name: "Project settings" }).getByRole("textbox", { name: "Instructions" }),
  ).toHaveValue(instructions);
  await page.reload();
  await page.getByRole("button", { name: "Project settings", exact: true }).click();
  await expect(dialog.getByRole("textbox", { name: "Instructions" })).toHaveValue(instructions);
  await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(dialog).toBeHidden();
});
