import { allowFor, expect, inServiceWorkersHands, storedLocally, test, uniqueName } from "./fixtures.ts";

// The dialogs most visits never open (search, settings, export, share, delete, the sign-in
// form) come in one chunk of their own, fetched after the first paint.
const onDemandChunk = "**/assets/on-demand-ui-*.js";

test("a dialog whose code can't be fetched says so: Close leaves the project as it was, Try again opens it", async ({
  api,
  app,
  page,
}) => {
  await page.route(onDemandChunk, (route) => route.abort());
  const project = await api.createProject(uniqueName("On demand"));
  await app.open(project);
  const settingsButton = page.getByRole("button", { name: "Project settings", exact: true });
  const failed = page.getByRole("alertdialog", { name: "Couldn't open “Project settings”" });

  await settingsButton.click();
  await expect(failed).toBeVisible();
  await expect(failed).toContainText("didn't arrive from the server");
  await failed.getByRole("button", { name: "Close", exact: true }).click();
  await expect(failed).toHaveCount(0);
  await expect(app.heading(project.name)).toBeVisible();
  await app.sendMessage("still here");
  await expect(app.message("still here")).toBeVisible();

  // Escape is Close too, and the button opens it again after either.
  await settingsButton.click();
  await expect(failed).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(failed).toHaveCount(0);

  await settingsButton.click();
  await expect(failed).toBeVisible();
  await page.unroute(onDemandChunk);
  await failed.getByRole("button", { name: "Try again", exact: true }).click();
  await expect(page.getByRole("dialog", { name: "Project settings" })).toBeVisible();
  await expect(failed).toHaveCount(0);
});

test("a sign-in form whose code can't be fetched says so in its place, and comes on Try again", async ({
  accounts,
}) => {
  const ann = await accounts.person("Ann", { signedUp: false });
  await ann.page.route(onDemandChunk, (route) => route.abort());
  await ann.page.goto("/");
  const failed = ann.page.getByRole("alert").filter({ hasText: "Couldn't open “Sign in”" });
  await expect(failed).toContainText("didn't arrive from the server");

  await ann.page.unroute(onDemandChunk);
  await failed.getByRole("button", { name: "Try again", exact: true }).click();
  await expect(ann.page.getByRole("heading", { name: "Sign in", exact: true })).toBeVisible();
  await expect(failed).toHaveCount(0);
});

test.describe("offline", () => {
  // The service worker is what has the chunk when the network is gone.
  test.use({ serviceWorkers: "allow" });

  test("a dialog never opened online opens offline after an offline reload", async ({
    api,
    app,
    page,
    context,
  }) => {
    // The service worker's install, the replica's writes and a reload.
    allowFor(30_000);
    const project = await api.createProject(uniqueName("Export offline"));
    await app.open(project);
    // The replica has the project (the page opens offline from it), the service worker every file.
    await expect.poll(async () => (await storedLocally(page)).includes(project.name)).toBe(true);
    await inServiceWorkersHands(page);

    await context.setOffline(true);
    await page.reload();
    await expect(app.heading(project.name)).toBeVisible();
    await page.getByRole("button", { name: "Export project", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Export project" });
    await expect(dialog.getByRole("button", { name: "Download JSON", exact: true })).toBeVisible();
    await dialog.getByRole("button", { name: "Close", exact: true }).click();
    await expect(dialog).toHaveCount(0);
  });
});
