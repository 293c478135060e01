import { ApiRoute, expect, pressRetry, test, uniqueName, userContents } from "./fixtures.ts";

for (const how of ["500", "network"] as const) {
  const what = how === "500" ? "refuses (500)" : "cannot be reached";
  test(`a message the server ${what} is marked failed, keeps its text, and Retry stores it once`, async ({
    api,
    app,
    page,
    store,
  }) => {
    const project = await api.createProject(uniqueName("Refused"));
    await app.open(project);
    const text = uniqueName("Please keep me");

    const post = new ApiRoute(page, "POST", "/api/chat");
    await post.fail(how);
    await app.sendMessage(text);

    const message = app.message(text);
    await expect(message).toHaveAttribute("data-status", "failed");
    await expect(message).toHaveAttribute("data-role", "user");
    await expect(message).toContainText(text);
    const retry = message.getByRole("button", { name: "Retry", exact: true });
    await expect(retry).toBeVisible();
    expect(await store.messages(project.id)).toEqual([]);

    await post.restore();
    await pressRetry(retry, async () => (await message.getAttribute("data-status")) === "complete");

    await expect(message).toHaveAttribute("data-status", "complete");
    await expect(retry).toBeHidden();
    await expect(app.message(text)).toHaveCount(1);
    expect(userContents(await store.messages(project.id))).toEqual([text]);

    await page.reload();
    await expect(app.message(text)).toHaveCount(1);
    await expect(app.message(text)).toHaveAttribute("data-status", "complete");
  });
}

test("a message that fails again on Retry stays failed with its text", async ({ api, app, page, store }) => {
  const project = await api.createProject(uniqueName("Refused twice"));
  await app.open(project);
  const text = uniqueName("Still here");

  const post = new ApiRoute(page, "POST", "/api/chat");
  await post.fail("500");
  await app.sendMessage(text);
  const message = app.message(text);
  const retry = message.getByRole("button", { name: "Retry", exact: true });
  await expect(message).toHaveAttribute("data-status", "failed");

  await retry.click();
  await expect(message).toHaveAttribute("data-status", "failed");
  await expect(message).toContainText(text);
  await expect(retry).toBeVisible();

  await post.restore();
  await pressRetry(retry, async () => (await message.getAttribute("data-status")) === "complete");
  await expect(message).toHaveAttribute("data-status", "complete");
  expect(userContents(await store.messages(project.id))).toEqual([text]);
});

test("a project the server refuses shows in the nav with Retry, which creates it", async ({
  api,
  app,
  page,
  store,
}) => {
  const name = uniqueName("Refused project");
  await page.goto("/");
  await expect(app.nav).toBeVisible();

  const post = new ApiRoute(page, "POST", "/api/projects");
  await post.fail("500");
  await app.newProjectButton.click();
  await app.projectNameInput.fill(name);
  await app.projectNameInput.press("Enter");

  await expect(app.projectLink(name)).toBeVisible();
  const retry = app.nav.getByRole("button", { name: "Retry", exact: true });
  await expect(retry).toBeVisible();
  expect((await api.projects()).map((project) => project.name)).not.toContain(name);

  await post.restore();
  await pressRetry(retry, async () => (await api.projects()).some((project) => project.name === name));

  await expect(retry).toBeHidden();
  await expect(app.projectLink(name)).toBeVisible();
  await expect
    .poll(async () => (await api.projects()).filter((project) => project.name === name).length)
    .toBe(1);
  const [created] = (await api.projects()).filter((project) => project.name === name);
  expect(created).toBeDefined();
  if (created) expect(await store.project(created.id)).toMatchObject({ name });

  await page.reload();
  await expect(app.projectLink(name)).toBeVisible();
  await expect(retry).toBeHidden();
});
