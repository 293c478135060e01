import { expect, projectUrl, test, uniqueName } from "./fixtures.ts";

test.describe("creating a project", () => {
  for (const submit of ["enter", "button"] as const) {
    test(`with ${submit === "enter" ? "Enter" : "the Create button"} adds it to the nav and opens it`, async ({
      app,
      page,
      store,
    }) => {
      const name = uniqueName("Created");
      await page.goto("/");
      await expect(app.nav).toBeVisible();

      const id = await app.createProject(name, submit);

      await expect(app.heading(name)).toBeVisible();
      await expect(app.projectLink(name)).toHaveAttribute("aria-current", "page");
      await expect(app.projectLink(name)).toHaveAttribute("href", new RegExp(`/projects/${id}$`));
      await expect.poll(() => store.project(id)).toMatchObject({ id, name });

      await page.reload();
      await expect(page).toHaveURL(projectUrl);
      await expect(page).toHaveURL(new RegExp(`/projects/${id}$`));
      await expect(app.heading(name)).toBeVisible();
      await expect(app.projectLink(name)).toHaveAttribute("aria-current", "page");
    });
  }

  test("opening another project moves aria-current to its link", async ({ api, app, page }) => {
    const first = await api.createProject(uniqueName("First"));
    const second = await api.createProject(uniqueName("Second"));
    await app.open(first);
    await expect(app.projectLink(first.name)).toHaveAttribute("aria-current", "page");

    await app.projectLink(second.name).click();
    await expect(page).toHaveURL(new RegExp(`/projects/${second.id}$`));
    await expect(app.heading(second.name)).toBeVisible();
    await expect(app.projectLink(second.name)).toHaveAttribute("aria-current", "page");
    await expect(app.projectLink(first.name)).not.toHaveAttribute("aria-current", "page");
  });
});

test.describe("renaming a project", () => {
  test("Enter saves the new name", async ({ api, app, page, store }) => {
    const project = await api.createProject(uniqueName("Before"));
    const renamed = uniqueName("After");
    await app.open(project);

    await app.renameButton.click();
    await expect(app.projectNameInput).toBeVisible();
    await app.projectNameInput.fill(renamed);
    await app.projectNameInput.press("Enter");

    await expect(app.heading(renamed)).toBeVisible();
    await expect(app.projectNameInput).toBeHidden();
    await expect(app.projectLink(renamed)).toHaveAttribute("aria-current", "page");
    await expect(app.projectLink(project.name)).toHaveCount(0);
    await expect.poll(() => store.project(project.id)).toMatchObject({ name: renamed, version: 2 });

    await page.reload();
    await expect(app.heading(renamed)).toBeVisible();
    await expect(app.projectLink(renamed)).toBeVisible();
  });

  test("Escape cancels and keeps the old name", async ({ api, app, page, store }) => {
    const project = await api.createProject(uniqueName("Kept"));
    await app.open(project);

    await app.renameButton.click();
    await app.projectNameInput.fill(uniqueName("Discarded"));
    await app.projectNameInput.press("Escape");

    await expect(app.projectNameInput).toBeHidden();
    await expect(app.heading(project.name)).toBeVisible();
    await expect(app.projectLink(project.name)).toHaveAttribute("aria-current", "page");

    await page.reload();
    await expect(app.heading(project.name)).toBeVisible();
    expect(await store.project(project.id)).toMatchObject({ name: project.name, version: 1 });
  });
});

test("deleting a project after confirming removes it from the nav and the server", async ({
  api,
  app,
  page,
  store,
}) => {
  const project = await api.createProject(uniqueName("Doomed"));
  await api.createMessage(project.id, "goes with its project");
  await app.open(project);

  await app.deleteButton.click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Delete", exact: true }).click();

  await expect(dialog).toBeHidden();
  await expect(app.projectLink(project.name)).toHaveCount(0);
  await expect(app.heading(project.name)).toHaveCount(0);
  await expect.poll(() => store.project(project.id)).toBeUndefined();
  expect((await api.projects()).map((row) => row.id)).not.toContain(project.id);

  await page.reload();
  await expect(app.nav).toBeVisible();
  await expect(app.projectLink(project.name)).toHaveCount(0);
});

test("a rename that lost to another change shows the name that won, and says so", async ({
  api,
  app,
  page,
  request,
}) => {
  const project = await api.createProject(uniqueName("Contested"));
  // No change feed: this page does not hear of the other rename before sending its own.
  await page.route("**/api/changes**", (route) => route.abort());
  await app.open(project);
  const theirs = `${project.name} theirs`;
  const mine = `${project.name} mine`;
  const other = await request.patch(`/api/projects/${project.id}`, {
    data: { name: theirs, version: project.version },
  });
  expect(other.status()).toBe(200);

  await app.renameButton.click();
  await app.projectNameInput.fill(mine);
  await app.projectNameInput.press("Enter");

  await expect(app.heading(theirs)).toBeVisible();
  await expect(app.projectLink(theirs)).toBeVisible();
  await expect(
    page.getByRole("alert").filter({ hasText: `Couldn't rename the project to “${mine}”` }),
  ).toBeVisible();
  const [stored] = (await api.projects()).filter((row) => row.id === project.id);
  expect(stored).toMatchObject({ name: theirs, version: project.version + 1 });
});
