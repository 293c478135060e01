import { readFile } from "node:fs/promises";
import { allowFor, expect, projectUrl, test, uniqueName } from "./fixtures.ts";

test("a project exported as Markdown and JSON, and the JSON imported back as a new project", async ({
  app,
  page,
  store,
}, testInfo) => {
  // Two replies, two downloads and an import.
  allowFor(30_000);
  await page.goto("/");
  const name = uniqueName("Exported");
  const projectId = await app.createProject(name);
  await app.sendMessage("First question");
  const replies = app.log.locator('article[data-role="assistant"]');
  await expect(replies.first()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await app.sendMessage("Second question");
  await expect(replies.nth(1)).toHaveAttribute("data-status", "complete", { timeout: 15_000 });

  await page.getByRole("button", { name: "Export project", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Export project" });

  const [markdown] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Download Markdown", exact: true }).click(),
  ]);
  expect(markdown.suggestedFilename()).toMatch(/^Exported-[0-9a-f]{8}\.md$/);
  const transcript = await readFile(await markdown.path(), "utf8");
  expect(transcript.startsWith(`# ${name}\n`)).toBe(true);
  expect(transcript.match(/^## (User|Assistant) · .+ UTC$/gm)).toHaveLength(4);
  expect(transcript).toContain("First question");
  expect(transcript).toContain("You said: Second question");

  const [json] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Download JSON", exact: true }).click(),
  ]);
  expect(json.suggestedFilename()).toMatch(/\.json$/);
  const filePath = testInfo.outputPath(json.suggestedFilename());
  await json.saveAs(filePath);
  const file = JSON.parse(await readFile(filePath, "utf8"));
  expect(file).toMatchObject({ format: "tandem.project", version: 1, project: { name } });
  expect(file.messages).toHaveLength(4);
  await dialog.getByRole("button", { name: "Close", exact: true }).click();

  const [chooser] = await Promise.all([
    page.waitForEvent("filechooser"),
    page.getByRole("button", { name: "Import project", exact: true }).click(),
  ]);
  await chooser.setFiles(filePath);
  // The copy opens: same name, same messages, another id.
  await expect(page).not.toHaveURL(`/projects/${projectId}`);
  await expect(page).toHaveURL(projectUrl);
  await expect(app.heading(name)).toBeVisible();
  await expect(app.articles).toHaveCount(4);
  await expect(app.message("Second question")).toBeVisible();
  const copyId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
  expect(copyId).not.toBe(projectId);
  expect((await store.messages(copyId)).map((m) => m.content)).toEqual(
    (await store.messages(projectId)).map((m) => m.content),
  );
  await expect(app.nav.getByRole("link", { name, exact: true })).toHaveCount(2);
});

test("a file that is not a project file is refused with an alert, and no project is made", async ({
  app,
  page,
  api,
}) => {
  await page.goto("/");
  await expect(app.newProjectButton).toBeVisible();
  const name = uniqueName("From the future");
  const future = {
    format: "tandem.project",
    version: 9,
    project: { name, createdAt: new Date() },
    messages: [],
  };
  for (const [fileName, contents, says] of [
    ["notes.json", "these are my notes", /Couldn't import “notes\.json”: it is not a JSON file/],
    ["future.json", JSON.stringify(future), /Couldn't import “future\.json”: .*version 9/],
  ] as const) {
    const [chooser] = await Promise.all([
      page.waitForEvent("filechooser"),
      page.getByRole("button", { name: "Import project", exact: true }).click(),
    ]);
    await chooser.setFiles({ name: fileName, mimeType: "application/json", buffer: Buffer.from(contents) });
    const alert = page.getByRole("alert").filter({ hasText: "import" });
    await expect(alert).toHaveText(says);
    await alert.getByRole("button", { name: "Dismiss", exact: true }).click();
    await expect(alert).toHaveCount(0);
  }
  expect((await api.projects()).map((project) => project.name)).not.toContain(name);
  await expect(app.nav.getByRole("link", { name, exact: true })).toHaveCount(0);
});

test("Download Markdown follows the branch on screen; Download JSON holds every version", async ({
  app,
  page,
}) => {
  // Two replies and two downloads.
  allowFor(30_000);
  await page.goto("/");
  await app.createProject(uniqueName("Branches"));
  const fruit = uniqueName("Which fruit?");
  const vegetable = uniqueName("Which vegetable?");
  await app.sendMessage(fruit);
  const replies = app.log.locator('article[data-role="assistant"]');
  await expect(replies.first()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });

  const asked = app.message(fruit);
  await asked.hover();
  await asked.getByRole("button", { name: "Edit", exact: true }).click();
  await page.getByRole("textbox", { name: "Edit message" }).fill(vegetable);
  await page.getByRole("button", { name: "Save and send", exact: true }).click();
  await expect(replies.first()).toContainText(`You said: ${vegetable}`, { timeout: 15_000 });
  await expect(replies.first()).toHaveAttribute("data-status", "complete", { timeout: 15_000 });
  await app.message(vegetable).getByRole("button", { name: "Previous version" }).click();
  await expect(replies.first()).toContainText(`You said: ${fruit}`);

  await page.getByRole("button", { name: "Export project", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Export project" });
  const [markdown] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Download Markdown", exact: true }).click(),
  ]);
  const transcript = await readFile(await markdown.path(), "utf8");
  expect(transcript).toContain(`You said: ${fruit}`);
  expect(transcript).not.toContain(vegetable);

  const [json] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Download JSON", exact: true }).click(),
  ]);
  const file = JSON.parse(await readFile(await json.path(), "utf8")) as {
    messages: Array<{ content: string; parentId: string | null }>;
  };
  const contents = file.messages.map((message) => message.content);
  expect(contents).toContain(fruit);
  expect(contents).toContain(vegetable);
  // The two questions are versions of one turn: the same (empty) parent.
  const questions = file.messages.filter((m) => m.content === fruit || m.content === vegetable);
  expect(questions.map((m) => m.parentId)).toEqual([null, null]);
});
