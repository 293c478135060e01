import type { Page } from "@playwright/test";
import { type Api, expect, readyForOffline, test, uniqueName } from "./fixtures.ts";

const HISTORY = 1_050;
/** The chat's window (100 shown, one more to know there are earlier ones) and its ties. */
const WINDOW_ROWS = 200;

/** A project whose chat is `count` messages "#1" … "#count", oldest first (imported). */
const seedHistory = (api: Api, count: number) =>
  api.importProject(
    uniqueName("Long history"),
    Array.from({ length: count }, (_, i) => `#${i + 1}`),
  );

/** Counts the message rows the page reads from the server for one project. */
function countFetchedRows(page: Page, projectId: string) {
  const counted = { rows: 0, requests: [] as string[] };
  page.on("response", async (response) => {
    const url = new URL(response.url());
    if (url.pathname !== `/api/projects/${projectId}/messages` || !response.ok()) return;
    counted.requests.push(url.search);
    counted.rows += ((await response.json()) as unknown[]).length;
  });
  return counted;
}

test.describe("a long history", () => {
  test.setTimeout(120_000);

  test("opens with the newest window only, and loads older windows as asked", async ({ api, app, page }) => {
    const project = await seedHistory(api, HISTORY);
    const fetched = countFetchedRows(page, project.id);

    await app.open(project);
    await expect(app.message(`#${HISTORY}`)).toBeVisible();
    await expect(app.articles).toHaveCount(100);
    await expect(app.articles.first()).toContainText(`#${HISTORY - 99}`);
    expect(fetched.rows, fetched.requests.join(" ")).toBeLessThanOrEqual(WINDOW_ROWS);

    // Pressed where it is, without scrolling there (scrolling to the top asks by itself).
    await page.getByRole("button", { name: "Show earlier messages" }).dispatchEvent("click");
    await expect(app.articles).toHaveCount(200);
    await expect(app.articles.first()).toContainText(`#${HISTORY - 199}`);
    expect(fetched.rows, fetched.requests.join(" ")).toBeLessThanOrEqual(2 * WINDOW_ROWS);

    // Scrolling to the top asks for the next one too, and keeps the reader's place.
    const shownBefore = app.message(`#${HISTORY - 199}`);
    await app.log.evaluate((log) => log.scrollTo({ top: 0 }));
    await expect(app.articles).toHaveCount(300);
    await expect(app.articles.first()).toContainText(`#${HISTORY - 299}`);
    await expect(shownBefore).toBeInViewport();
    expect(fetched.rows, fetched.requests.join(" ")).toBeLessThanOrEqual(3 * WINDOW_ROWS);
  });

  test("a message arriving while the reader is up in the history shows New messages, which takes them to it", async ({
    api,
    app,
    page,
  }) => {
    const project = await seedHistory(api, 150);
    await app.open(project);
    await expect(app.message("#150")).toBeInViewport();
    const newBelow = page.getByRole("button", { name: "New messages", exact: true });

    // Reading the newest: a new message just shows, in view.
    const first = uniqueName("arrived at the bottom");
    await api.createMessage(project.id, first);
    await expect(app.message(first)).toBeInViewport();
    await expect(newBelow).toBeHidden();

    // Up at the top: the earlier messages that arrive above are not news.
    await app.log.evaluate((log) => log.scrollTo({ top: 0 }));
    await expect(app.articles).toHaveCount(151);
    await expect(newBelow).toBeHidden();

    // Still up there, a message arrives below: the button says so and takes the reader to it.
    const second = uniqueName("arrived while reading");
    await api.createMessage(project.id, second);
    await expect(newBelow).toBeVisible();
    await expect(app.message(second)).toHaveCount(1);
    await expect(app.message(second)).not.toBeInViewport();
    await newBelow.click();
    await expect(app.message(second)).toBeInViewport();
    await expect(newBelow).toBeHidden();

    // Up in the history again, the reader sends: they are taken to their own message.
    await app.log.evaluate((log) => log.scrollTo({ top: 0 }));
    const own = uniqueName("sent from up in the history");
    await app.sendMessage(own);
    await expect(app.message(own)).toBeInViewport();
    await expect(newBelow).toBeHidden();
  });

  test("a message sent at the end of a long history shows and is confirmed", async ({ api, app }) => {
    const project = await seedHistory(api, 250);
    await app.open(project);
    await expect(app.articles).toHaveCount(100);

    const text = uniqueName("after a long history");
    await app.sendMessage(text);
    await expect(app.message(text)).toHaveAttribute("data-status", "complete");
    await expect(app.articles.last()).not.toContainText("#250");
  });
});

test("a replica of the old shape (version 1) is dropped, and the chat reads the server", async ({
  api,
  app,
  page,
}) => {
  const project = await api.createProject(uniqueName("Old replica"));
  await api.createMessage(project.id, "stored on the server");

  // Any page of the origin that is not the app: the replica is written before the app opens it.
  await page.goto("/api/health");
  await page.evaluate(async (projectId) => {
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open("tandem-replica", 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        db.createObjectStore("rows", { keyPath: ["scope", "id"] }).createIndex("scope", "scope");
        db.createObjectStore("scopes", { keyPath: "scope" });
        db.createObjectStore("meta", { keyPath: "key" });
      };
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction(["rows", "scopes", "meta"], "readwrite");
        const scope = `messages:${projectId}`;
        const now = new Date().toISOString();
        tx.objectStore("rows").put({
          scope,
          id: crypto.randomUUID(),
          row: {
            id: crypto.randomUUID(),
            projectId,
            role: "user",
            content: "only in the old replica",
            parts: [],
            status: "complete",
            error: null,
            createdAt: now,
            updatedAt: now,
            version: 1,
          },
        });
        tx.objectStore("scopes").put({ scope, position: "1" });
        tx.objectStore("meta").put({ key: "feedPosition", value: "1" });
        tx.oncomplete = () => {
          db.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  }, project.id);

  await app.open(project);
  await expect(app.message("stored on the server")).toBeVisible();
  await expect(app.message("only in the old replica")).toHaveCount(0);
  const version = await page.evaluate(
    async () => (await indexedDB.databases()).find((db) => db.name === "tandem-replica")?.version,
  );
  // Version 3: message rows carry parentId (the message tree).
  expect(version).toBe(3);
});

test.describe("offline", () => {
  // The service worker opens the app with no network.
  test.use({ serviceWorkers: "allow" });
  test.setTimeout(120_000);

  test("a reload offline opens the newest window from the replica, and Show earlier reads older ones from it", async ({
    api,
    app,
    page,
    context,
  }) => {
    const project = await seedHistory(api, 250);
    await app.open(project);
    await expect(app.articles).toHaveCount(100);
    // Read the older windows once online, so the replica holds them.
    await page.getByRole("button", { name: "Show earlier messages" }).dispatchEvent("click");
    await expect(app.articles).toHaveCount(200);
    await page.getByRole("button", { name: "Show earlier messages" }).dispatchEvent("click");
    await expect(app.articles).toHaveCount(250);
    // The replica is written in batches: wait until it holds the oldest and the newest, settled.
    await readyForOffline(page, '"#1"', '"#250"');

    await context.setOffline(true);
    await page.reload();
    await expect(app.message("#250")).toBeVisible();
    await expect(app.articles).toHaveCount(100);
    await expect(app.articles.first()).toContainText("#151");

    await page.getByRole("button", { name: "Show earlier messages" }).dispatchEvent("click");
    await expect(app.articles).toHaveCount(200);
    await expect(app.articles.first()).toContainText("#51");
    const replicaReads = await page.evaluate(() =>
      performance
        .getEntriesByName("tandem:replica-read")
        .map((entry) => (entry as PerformanceMark).detail.rows),
    );
    expect(Math.max(...replicaReads)).toBeLessThanOrEqual(101);
  });
});
