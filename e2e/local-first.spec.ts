import {
  allowFor,
  expect,
  readyForOffline,
  startOwnServer,
  TandemApp,
  test,
  uniqueName,
  userContents,
} from "./fixtures.ts";
import { APP_PORT } from "./suite.ts";

// These specs need the service worker: it is what opens the app with no network.
test.use({ serviceWorkers: "allow" });

test("work done offline is kept across a reload and reaches Postgres in order, exactly once", async ({
  api,
  app,
  page,
  context,
  store,
}) => {
  // Back online, two messages go and their replies run one after the other.
  allowFor(20_000);
  const project = await api.createProject(uniqueName("Offline work"));
  await app.open(project);
  await expect(app.connection).toHaveText("Online");
  await readyForOffline(page, project.name);

  await context.setOffline(true);
  await expect(app.connection).toHaveText("Offline");
  await app.sendMessage("first, sent offline");
  await app.sendMessage("second, sent offline");
  const renamed = `${project.name} (renamed offline)`;
  await app.renameButton.click();
  await app.projectNameInput.fill(renamed);
  await app.projectNameInput.press("Enter");

  await expect(app.message("first, sent offline")).toHaveAttribute("data-status", "pending");
  await expect(app.message("second, sent offline")).toHaveAttribute("data-status", "pending");
  await expect(app.heading(renamed)).toBeVisible();
  await expect(page.getByText("3 unsent changes")).toBeVisible();

  await page.reload();
  await expect(app.heading(renamed)).toBeVisible();
  await expect(app.message("first, sent offline")).toHaveAttribute("data-status", "pending");
  await expect(app.message("second, sent offline")).toHaveAttribute("data-status", "pending");
  await expect(app.connection).toHaveText("Offline");
  expect(userContents(await store.messages(project.id))).toEqual([]);

  await context.setOffline(false);
  await expect(app.message("first, sent offline")).toHaveAttribute("data-status", "complete");
  await expect(app.message("second, sent offline")).toHaveAttribute("data-status", "complete", {
    timeout: 20_000,
  });
  await expect(page.getByText(/unsent change/)).toHaveCount(0, { timeout: 20_000 });
  await expect
    .poll(async () => userContents(await store.messages(project.id)))
    .toEqual(["first, sent offline", "second, sent offline"]);
  await expect.poll(async () => (await store.project(project.id))?.name).toBe(renamed);
  await expect(app.userMessages).toHaveCount(2);
});

test("a change refused for good after going online rolls back, says why, and the next one still goes", async ({
  api,
  app,
  page,
  context,
  request,
  store,
}) => {
  const doomed = await api.createProject(uniqueName("Deleted meanwhile"));
  const other = await api.createProject(uniqueName("Still here"));
  await app.open(other);
  // Its (empty) window must be in the replica before the next page load cuts the write short.
  await readyForOffline(page, other.name);
  await app.open(doomed);
  await readyForOffline(page, doomed.name, other.name);

  await context.setOffline(true);
  await expect(app.connection).toHaveText("Offline");
  await app.renameButton.click();
  await app.projectNameInput.fill(`${doomed.name} (too late)`);
  await app.projectNameInput.press("Enter");
  // Someone else deletes it meanwhile.
  const deleted = await request.delete(`/api/projects/${doomed.id}`);
  expect(deleted.status()).toBe(200);

  await app.projectLink(other.name).click();
  await expect(app.heading(other.name)).toBeVisible();
  await app.sendMessage("sent after the refused one");
  await expect(app.message("sent after the refused one")).toHaveAttribute("data-status", "pending");

  await context.setOffline(false);
  await expect(page.getByRole("alert")).toContainText("Couldn't rename the project");
  await expect(app.projectLink(`${doomed.name} (too late)`)).toHaveCount(0);
  await expect(app.message("sent after the refused one")).toHaveAttribute("data-status", "complete");
  await expect
    .poll(async () => userContents(await store.messages(other.id)))
    .toEqual(["sent after the refused one"]);
});

test("a half-typed draft survives a reload and is cleared after sending", async ({ api, app, page }) => {
  const project = await api.createProject(uniqueName("Drafts"));
  await app.open(project);
  await app.messageInput.fill("half of a tho");
  await page.reload();
  await expect(app.messageInput).toHaveValue("half of a tho");

  await app.messageInput.press("End");
  await app.messageInput.pressSequentially("ught");
  await app.messageInput.press("Enter");
  await expect(app.message("half of a thought")).toHaveAttribute("data-status", "complete");
  await expect(app.messageInput).toHaveValue("");
  await page.reload();
  await expect(app.messageInput).toHaveValue("");
});

test("a reload with the server stopped still shows the last projects and messages", async ({ page }) => {
  const port = APP_PORT + 50;
  const server = await startOwnServer(port, {
    DATA_DIR: "fresh",
    DATABASE_URL: "",
    ASSISTANT_TOKEN_DELAY_MS: "1",
  });
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const app = new TandemApp(page);
    const name = uniqueName("Survives");
    await app.createProject(name);
    await app.sendMessage("still here after the server goes");
    await expect(app.log.locator('article[data-role="assistant"]')).toHaveAttribute(
      "data-status",
      "complete",
      {
        timeout: 20_000,
      },
    );
    await readyForOffline(page, name, "still here after the server goes");
  } finally {
    await server.stop();
  }

  await page.reload();
  const app = new TandemApp(page);
  await expect(app.nav.getByRole("link")).toHaveCount(1);
  await expect(app.message("still here after the server goes")).toHaveAttribute("data-status", "complete");
  await expect(app.log.locator('article[data-role="assistant"]')).toHaveAttribute("data-status", "complete");
  await expect(app.connection).toHaveText("Reconnecting");
});
