import { ApiRoute, expect, test, uniqueName, userContents } from "./fixtures.ts";

test("a sent message shows at once, is confirmed, stored and still there after a reload", async ({
  api,
  app,
  page,
  store,
}) => {
  const project = await api.createProject(uniqueName("Chat"));
  await app.open(project);
  await expect(app.log).toBeVisible();
  const text = `Hello ${uniqueName("message")}`;

  // Hold the write so the unconfirmed state can be seen before the server answers.
  const post = new ApiRoute(page, "POST", "/api/chat");
  const release = await post.hold();
  await app.sendMessage(text);

  const message = app.message(text);
  await expect(message).toHaveCount(1);
  await expect(message).toHaveAttribute("data-role", "user");
  await expect(message).toHaveAttribute("data-status", "pending");
  await expect(app.messageInput).toHaveValue("");

  release();
  await expect(message).toHaveAttribute("data-status", "complete");
  await post.restore();

  const stored = (await store.messages(project.id)).filter((row) => row.role === "user");
  expect(stored).toEqual([
    expect.objectContaining({ projectId: project.id, role: "user", content: text, status: "complete" }),
  ]);

  await page.reload();
  await expect(app.message(text)).toHaveCount(1);
  await expect(app.message(text)).toHaveAttribute("data-role", "user");
  await expect(app.message(text)).toHaveAttribute("data-status", "complete");
  await expect(app.userMessages).toHaveCount(1);
});

test("the Send button sends too", async ({ api, app, store }) => {
  const project = await api.createProject(uniqueName("Send button"));
  await app.open(project);
  const text = uniqueName("Clicked");

  await app.messageInput.fill(text);
  await app.sendButton.click();

  await expect(app.message(text)).toHaveAttribute("data-status", "complete");
  await expect.poll(async () => userContents(await store.messages(project.id))).toEqual([text]);
});

test("messages already stored are listed oldest first", async ({ api, app }) => {
  const project = await api.createProject(uniqueName("History"));
  for (const content of ["one", "two", "three"]) await api.createMessage(project.id, content);
  await app.open(project);

  await expect(app.articles).toHaveCount(3);
  await expect(app.articles.nth(0)).toContainText("one");
  await expect(app.articles.nth(1)).toContainText("two");
  await expect(app.articles.nth(2)).toContainText("three");
  for (const article of await app.articles.all()) {
    await expect(article).toHaveAttribute("data-role", "user");
    await expect(article).toHaveAttribute("data-status", "complete");
  }
});

test("Shift+Enter adds a line instead of sending", async ({ api, app, store }) => {
  const project = await api.createProject(uniqueName("Lines"));
  await app.open(project);

  await app.messageInput.click();
  await app.messageInput.pressSequentially("first line");
  await app.messageInput.press("Shift+Enter");
  await app.messageInput.pressSequentially("second line");
  await expect(app.messageInput).toHaveValue("first line\nsecond line");
  await expect(app.articles).toHaveCount(0);

  await app.messageInput.press("Enter");
  const message = app.message("first line");
  await expect(message).toHaveAttribute("data-status", "complete");
  await expect(message).toContainText("second line");
  expect(userContents(await store.messages(project.id))).toEqual(["first line\nsecond line"]);
});

test("an empty or blank message is not sent", async ({ api, app, page, store }) => {
  const project = await api.createProject(uniqueName("Blank"));
  await app.open(project);
  const posts: string[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === "/api/chat") {
      posts.push(request.postData() ?? "");
    }
  });

  for (const blank of ["", "   ", " \n\t "]) {
    await app.messageInput.fill(blank);
    await app.messageInput.press("Enter");
    if (await app.sendButton.isEnabled()) await app.sendButton.click();
  }

  // A real message afterwards: once it is confirmed, any blank send would have gone first.
  const text = uniqueName("After the blanks");
  await app.sendMessage(text);
  await expect(app.message(text)).toHaveAttribute("data-status", "complete");
  await expect(app.userMessages).toHaveCount(1);
  expect(posts).toHaveLength(1);
  expect(userContents(await store.messages(project.id))).toEqual([text]);
});
