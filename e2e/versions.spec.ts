import type { BrowserContext, Locator, Page } from "@playwright/test";
import { allowFor, expect, modelRequests, readyForOffline, TandemApp, test, uniqueName } from "./fixtures.ts";

/** The versions of a message's turn as shown under it: "2 / 2". */
const versionOf = (article: Locator) => article.getByRole("group", { name: "Versions" });

/** Someone else: a browser of their own (its own replica, outbox and feed), on the project. */
async function secondPerson(context: BrowserContext, projectId: string): Promise<TandemApp> {
  const other = await context.browser()?.newContext();
  if (!other) throw new Error("no browser");
  const app = new TandemApp(await other.newPage());
  await app.page.goto(`/projects/${projectId}`);
  await expect(app.connection).toHaveText("Online");
  return app;
}

/**
 * Records the version switchers put in the page from now on, even for a frame: the
 * start of the message each was under, and what it said.
 */
async function watchVersionSwitchers(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const state = { added: [] as string[] };
    (window as unknown as { __switchers: typeof state }).__switchers = state;
    const selector = '[role="group"][aria-label="Versions"]';
    const record = (node: Node) => {
      if (!(node instanceof Element)) return;
      const found = [...(node.matches(selector) ? [node] : []), ...node.querySelectorAll(selector)];
      for (const group of found) {
        const article = group.closest("article");
        state.added.push(`${article?.textContent?.slice(0, 40)}: ${group.textContent}`);
      }
    };
    record(document.body);
    new MutationObserver((records) => {
      for (const change of records) for (const node of change.addedNodes) record(node);
    }).observe(document.body, { childList: true, subtree: true });
  });
  return () =>
    page.evaluate(() => (window as unknown as { __switchers: { added: string[] } }).__switchers.added);
}

/** The replies in a chat that have ended. */
const repliesDone = (app: TandemApp) =>
  app.log.locator('article[data-role="assistant"][data-status="complete"]');

/** The stored messages form one line: no two share a parent, so none is a version of another. */
function expectOneLine(rows: ReadonlyArray<{ parentId: string | null }>) {
  const parents = rows.map((row) => row.parentId);
  expect(new Set(parents).size).toBe(parents.length);
}

test("Regenerate keeps the first reply: both versions show, in another tab and after a reload", async ({
  api,
  app,
  context,
  store,
}) => {
  // Two tabs, two replies and a reload.
  allowFor(30_000);
  const project = await api.createProject(uniqueName("Regenerate"));
  await app.open(project);
  const other = new TandemApp(await context.newPage());
  await other.open(project);
  await expect(other.connection).toHaveText("Online");

  // The first answer breaks off; the second one (the model's next call) is whole.
  const question = `Name a colour [fail:2] [once] ${uniqueName("#")}`;
  await app.sendMessage(question);
  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "error");
  await expect(versionOf(reply)).toHaveCount(0);

  await reply.hover();
  await reply.getByRole("button", { name: "Regenerate", exact: true }).click();
  await expect(reply).toHaveAttribute("data-status", "complete");
  await expect(reply).toContainText("word5");
  await expect(versionOf(reply)).toContainText("2 / 2");
  await expect(reply.getByRole("button", { name: "Next version" })).toBeDisabled();
  await expect(app.log.getByRole("article")).toHaveCount(2);

  // The other tab has the new version too, on the same branch.
  const otherReply = other.log.locator('article[data-role="assistant"]');
  await expect(otherReply).toContainText("word5");
  await expect(versionOf(otherReply)).toContainText("2 / 2");

  // The first version is still there, as it was.
  await reply.getByRole("button", { name: "Previous version" }).click();
  await expect(versionOf(reply)).toContainText("1 / 2");
  await expect(reply).toHaveAttribute("data-status", "error");
  await expect(reply).not.toContainText("word5");
  await expect(reply.getByRole("button", { name: "Regenerate", exact: true })).toHaveCount(1);
  // The branch on screen is the same in every tab, and after a reload.
  await expect(versionOf(otherReply)).toContainText("1 / 2");
  await app.page.reload();
  await expect(versionOf(reply)).toContainText("1 / 2");
  await expect(reply).toHaveAttribute("data-status", "error");
  await reply.getByRole("button", { name: "Next version" }).click();
  await expect(versionOf(reply)).toContainText("2 / 2");
  await expect(reply).toContainText("word5");

  const stored = await store.messages(project.id);
  expect(stored.map((row) => [row.role, row.status])).toEqual([
    ["user", "complete"],
    ["assistant", "error"],
    ["assistant", "complete"],
  ]);
  // Both answers were asked the same question, and nothing else.
  const asked = await modelRequests(question);
  expect(asked).toHaveLength(2);
  for (const request of asked) {
    expect(request.messages.filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: question },
    ]);
  }
});

test("Edit sends the new text as a new version; the model sees only its branch; Cancel changes nothing", async ({
  api,
  app,
  context,
}) => {
  // Three replies, a reload and a second tab.
  allowFor(30_000);
  const project = await api.createProject(uniqueName("Edit"));
  await app.open(project);
  const first = `First question ${uniqueName("#")}`;
  const fruit = `Which fruit? ${uniqueName("#")}`;
  const vegetable = `Which vegetable? ${uniqueName("#")}`;
  await app.sendMessage(first);
  const replies = app.log.locator('article[data-role="assistant"]');
  await expect(replies).toHaveAttribute("data-status", "complete");
  await app.sendMessage(fruit);
  await expect(replies.nth(1)).toHaveAttribute("data-status", "complete");

  // Cancel: nothing is sent, the message is as it was.
  const asked = app.message(fruit);
  await asked.hover();
  await asked.getByRole("button", { name: "Edit", exact: true }).click();
  const editor = app.page.getByRole("textbox", { name: "Edit message" });
  await expect(editor).toHaveValue(fruit);
  await editor.fill("Never sent");
  await app.page.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(editor).toHaveCount(0);
  await expect(asked).toContainText(fruit);

  await asked.hover();
  await asked.getByRole("button", { name: "Edit", exact: true }).click();
  await editor.fill(vegetable);
  await app.page.getByRole("button", { name: "Save and send", exact: true }).click();

  const edited = app.message(vegetable);
  await expect(versionOf(edited)).toContainText("2 / 2");
  await expect(app.message(fruit)).toHaveCount(0);
  await expect(replies).toHaveCount(2);
  await expect(replies.nth(1)).toHaveAttribute("data-status", "complete");
  await expect(replies.nth(1)).toContainText(`You said: ${vegetable}`);
  // The model was asked the edited branch: the first turn and the new question, not the old one.
  const [request] = (await modelRequests(vegetable)).slice(-1);
  const sent = request?.messages.filter((m) => m.role !== "system") ?? [];
  expect(sent.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
  expect(sent[0]?.content).toBe(first);
  expect(sent[2]?.content).toBe(vegetable);
  expect(JSON.stringify(sent)).not.toContain("Which fruit?");

  // Back to the first version: its own reply comes with it.
  await edited.getByRole("button", { name: "Previous version" }).click();
  await expect(versionOf(app.message(fruit))).toContainText("1 / 2");
  await expect(replies.nth(1)).toContainText(`You said: ${fruit}`);
  await expect(app.message(vegetable)).toHaveCount(0);

  // Kept across a reload, and the same in a second tab.
  await app.page.reload();
  await expect(versionOf(app.message(fruit))).toContainText("1 / 2");
  const other = new TandemApp(await context.newPage());
  await other.open(project);
  await expect(versionOf(other.message(fruit))).toContainText("1 / 2");
  await other.message(fruit).getByRole("button", { name: "Next version" }).click();
  await expect(versionOf(other.message(vegetable))).toContainText("2 / 2");
  await expect(versionOf(app.message(vegetable))).toContainText("2 / 2");
});

test.describe("offline", () => {
  // The service worker is what opens the app with no network.
  test.use({ serviceWorkers: "allow" });

  test("a Regenerate made offline waits in the outbox across a reload, then is written", async ({
    api,
    app,
    page,
    context,
    store,
  }) => {
    allowFor(20_000);
    const project = await api.createProject(uniqueName("Offline regenerate"));
    await app.open(project);
    await expect(app.connection).toHaveText("Online");
    const question = `Regenerate me later ${uniqueName("#")}`;
    await app.sendMessage(question);
    const reply = app.log.locator('article[data-role="assistant"]');
    await expect(reply).toHaveAttribute("data-status", "complete");
    await readyForOffline(page, project.name, `You said: ${question}`);

    await context.setOffline(true);
    await expect(app.connection).toHaveText("Offline");
    await reply.hover();
    await reply.getByRole("button", { name: "Regenerate", exact: true }).click();
    await expect(reply).toHaveAttribute("data-status", "pending");
    await expect(versionOf(reply)).toContainText("2 / 2");

    await page.reload();
    await expect(app.connection).toHaveText("Offline");
    await expect(reply).toHaveAttribute("data-status", "pending");
    await expect(versionOf(reply)).toContainText("2 / 2");
    expect(await store.messages(project.id)).toHaveLength(2);

    await context.setOffline(false);
    await expect(reply).toHaveAttribute("data-status", "complete", { timeout: 20_000 });
    await expect(versionOf(reply)).toContainText("2 / 2");
    await expect(reply).toContainText(`You said: ${question}`);
    await expect
      .poll(async () => (await store.messages(project.id)).map((row) => [row.role, row.status]))
      .toEqual([
        ["user", "complete"],
        ["assistant", "complete"],
        ["assistant", "complete"],
      ]);
  });
});

test("Two people sending at the same moment: one message after the other, no version switcher; an edit still shows 2 / 2", async ({
  api,
  app,
  context,
}) => {
  // Two browsers, four replies.
  allowFor(30_000);
  const project = await api.createProject(uniqueName("At once"));
  await app.open(project);
  await expect(app.connection).toHaveText("Online");
  const other = await secondPerson(context, project.id);
  await app.sendMessage(`Hello, both of you [tokens:3] ${uniqueName("#")}`);
  await expect(repliesDone(app)).toHaveCount(1);
  await expect(repliesDone(other)).toHaveCount(1);

  const switchersHere = await watchVersionSwitchers(app.page);
  const switchersThere = await watchVersionSwitchers(other.page);
  const mine = `Mine, sent at once [tokens:3] ${uniqueName("#")}`;
  const theirs = `Theirs, sent at once [tokens:3] ${uniqueName("#")}`;
  await app.messageInput.fill(mine);
  await other.messageInput.fill(theirs);
  // Both were written after the same reply; both are sent in the same moment.
  await Promise.all([app.messageInput.press("Enter"), other.messageInput.press("Enter")]);

  for (const tab of [app, other]) {
    await expect(repliesDone(tab)).toHaveCount(3, { timeout: 20_000 });
    await expect(tab.message(mine)).toHaveAttribute("data-status", "complete");
    await expect(tab.message(theirs)).toHaveAttribute("data-status", "complete");
    await expect(tab.articles).toHaveCount(6);
  }
  // The same line in both browsers, each message answered before the next.
  const order = (tab: TandemApp) =>
    tab.articles.evaluateAll((all) => all.map((a) => a.getAttribute("data-role")));
  expect(await order(app)).toEqual(["user", "assistant", "user", "assistant", "user", "assistant"]);
  expect(await app.userMessages.allTextContents()).toEqual(await other.userMessages.allTextContents());
  expect(await switchersHere()).toEqual([]);
  expect(await switchersThere()).toEqual([]);
  expectOneLine(await api.messages(project.id));

  await app.page.screenshot({ path: test.info().outputPath("sent-at-once.png") });

  // A real edit still makes a version, in both browsers.
  const edited = `Theirs, said again [tokens:3] ${uniqueName("#")}`;
  const asked = other.message(theirs);
  await asked.hover();
  await asked.getByRole("button", { name: "Edit", exact: true }).click();
  await other.page.getByRole("textbox", { name: "Edit message" }).fill(edited);
  await other.page.getByRole("button", { name: "Save and send", exact: true }).click();
  await expect(versionOf(other.message(edited))).toContainText("2 / 2");
  await expect(other.message(edited)).toHaveAttribute("data-status", "complete");
  // Here the branch on screen is the one through my message: the edited turn shows its versions on it.
  await expect(app.log.getByRole("group", { name: "Versions" })).toHaveCount(1);
  await expect(app.log.getByRole("group", { name: "Versions" })).toContainText(/[12] \/ 2/);
  await other.page.context().close();
});

test("A message queued offline while someone else went on is sent after their last reply, never as a version", async ({
  api,
  app,
  context,
}) => {
  // Two browsers, four replies, one of them offline for a while.
  allowFor(30_000);
  const project = await api.createProject(uniqueName("Queued"));
  await app.open(project);
  await expect(app.connection).toHaveText("Online");
  await app.sendMessage(`Where were we [tokens:3] ${uniqueName("#")}`);
  await expect(repliesDone(app)).toHaveCount(1);
  const other = await secondPerson(context, project.id);
  await expect(repliesDone(other)).toHaveCount(1);
  const switchers = await watchVersionSwitchers(app.page);

  await context.setOffline(true);
  await expect(app.connection).toHaveText("Offline");
  const queued = `Written on the train [tokens:3] ${uniqueName("#")}`;
  await app.sendMessage(queued);
  await expect(app.message(queued)).toHaveAttribute("data-status", "pending");

  const meanwhile = [
    `Meanwhile, one [tokens:3] ${uniqueName("#")}`,
    `Meanwhile, two [tokens:3] ${uniqueName("#")}`,
  ];
  for (const [i, text] of meanwhile.entries()) {
    await other.sendMessage(text);
    await expect(repliesDone(other)).toHaveCount(i + 2);
  }

  await context.setOffline(false);
  await expect(app.message(queued)).toHaveAttribute("data-status", "complete", { timeout: 20_000 });
  await expect(repliesDone(app)).toHaveCount(4);
  const line = ["Where were we", "Meanwhile, one", "Meanwhile, two", "Written on the train"];
  const users = async (tab: TandemApp) =>
    (await tab.userMessages.allTextContents()).map((text) => text.slice(0, 40));
  for (const tab of [app, other]) {
    await expect(tab.articles).toHaveCount(8);
    const shown = await users(tab);
    expect(line.map((start, i) => shown[i]?.includes(start))).toEqual([true, true, true, true]);
  }
  expect(await switchers()).toEqual([]);
  await expect(other.log.getByRole("group", { name: "Versions" })).toHaveCount(0);
  expectOneLine(await api.messages(project.id));
  await other.page.context().close();
});
