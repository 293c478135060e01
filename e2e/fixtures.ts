import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type APIResponse,
  type Browser,
  type BrowserContext,
  test as base,
  expect,
  type Locator,
  type Page,
} from "@playwright/test";
import { builtServerArgs } from "@tandem/testing/built-server";
import type { ReceivedRequest } from "@tandem/testing/scripted-model";
import { hc } from "hono/client";
import postgres from "postgres";
import type { ApiType } from "../apps/server/src/app.ts";
import {
  MESSAGES_PAGE_MAX,
  type Message,
  messageListSchema,
  messageSchema,
  PROJECT_FILE_FORMAT,
  PROJECT_FILE_VERSION,
  type Project,
  type ProjectFile,
  projectListSchema,
  projectSchema,
} from "../packages/shared/src/index.ts";
import { APP_PORT, LONG_REPLY_MS, MODEL_PORT } from "./suite.ts";

export { expect };

/** Seeds and reads rows through the real API with the typed client, as the web app does. */
export class Api {
  private readonly client: ReturnType<typeof hc<ApiType>>;

  /** `cookie`: a session cookie (`name=value`), for a server in AUTH=accounts. */
  constructor(baseURL: string, cookie?: string) {
    // Writes name this server as their Origin, as the app in a browser does (docs/api.md).
    const headers: Record<string, string> = { origin: baseURL };
    if (cookie) headers.cookie = cookie;
    this.client = hc<ApiType>(`${baseURL}/api`, { headers });
  }

  async createProject(name: string): Promise<Project> {
    const res = await this.client.projects.$post({ json: { id: randomUUID(), name } });
    expect(res.status, await res.clone().text()).toBe(201);
    return projectSchema.parse(await res.json());
  }

  async projects(): Promise<Project[]> {
    const res = await this.client.projects.$get();
    expect(res.status).toBe(200);
    return projectListSchema.parse(await res.json());
  }

  async createMessage(projectId: string, content: string): Promise<Message> {
    const res = await this.client.messages.$post({
      json: { id: randomUUID(), projectId, role: "user", content },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return messageSchema.parse(await res.json());
  }

  /**
   * A new project whose chat is `contents`, oldest first: user messages, each following
   * the one before, a millisecond apart. One `POST /api/projects/import` of a project
   * file, where a POST per message takes minutes for thousands on a loaded machine.
   */
  async importProject(name: string, contents: string[]): Promise<Project> {
    const start = Date.now() - 60_000 - contents.length;
    const at = (ms: number) => new Date(start + ms).toISOString();
    let parentId: string | null = null;
    const messages: ProjectFile["messages"] = contents.map((content, i) => {
      const id = randomUUID();
      const message = {
        id,
        parentId,
        role: "user" as const,
        content,
        status: "complete" as const,
        createdAt: at(i),
      };
      parentId = id;
      return message;
    });
    const file: ProjectFile = {
      format: PROJECT_FILE_FORMAT,
      version: PROJECT_FILE_VERSION,
      exportedAt: new Date().toISOString(),
      project: { name, instructions: "", createdAt: at(0) },
      messages,
    };
    const res = await this.client.projects.import.$post({ json: file });
    expect(res.status, await res.clone().text()).toBe(201);
    return projectSchema.parse(await res.json());
  }

  async messages(projectId: string): Promise<Message[]> {
    const res = await this.client.projects[":id"].messages.$get({
      param: { id: projectId },
      query: { limit: String(MESSAGES_PAGE_MAX) },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return messageListSchema.parse(await res.json());
  }
}

/** What the scripted model was asked by requests whose last user message is `text`. */
export async function modelRequests(text: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`http://127.0.0.1:${MODEL_PORT}/requests?text=${encodeURIComponent(text)}`);
  expect(res.status).toBe(200);
  return res.json();
}

export type StoredProject = Pick<Project, "id" | "name" | "version">;
export type StoredMessage = Pick<Message, "id" | "projectId" | "role" | "content" | "status">;

/** What the user sent, oldest first (each sent message also gets an assistant reply). */
export const userContents = (rows: StoredMessage[]) =>
  rows.filter((row) => row.role === "user").map((row) => row.content);

/**
 * What the server has stored. With DATABASE_URL it reads the tables of the Postgres the
 * server writes to; with PGlite (held open by the server process) it asks the API.
 */
export interface Store {
  readonly source: "postgres" | "api";
  project(id: string): Promise<StoredProject | undefined>;
  messages(projectId: string): Promise<StoredMessage[]>;
}

function postgresStore(sql: postgres.Sql): Store {
  return {
    source: "postgres",
    async project(id) {
      const [row] = await sql<StoredProject[]>`select id, name, version from projects where id = ${id}`;
      return row;
    },
    async messages(projectId) {
      return sql<StoredMessage[]>`
        select id, project_id as "projectId", role, content, status
        from messages where project_id = ${projectId}
        order by created_at, id`;
    },
  };
}

function apiStore(api: Api): Store {
  return {
    source: "api",
    async project(id) {
      return (await api.projects()).find((project) => project.id === id);
    },
    async messages(projectId) {
      return api.messages(projectId);
    },
  };
}

/** The app as a user sees it, by the accessible names of the UI contract. */
export class TandemApp {
  readonly nav: Locator;
  readonly newProjectButton: Locator;
  readonly projectNameInput: Locator;
  readonly createButton: Locator;
  readonly renameButton: Locator;
  readonly deleteButton: Locator;
  readonly log: Locator;
  readonly articles: Locator;
  readonly userMessages: Locator;
  readonly messageInput: Locator;
  readonly sendButton: Locator;
  readonly connection: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole("navigation", { name: "Projects" });
    this.newProjectButton = page.getByRole("button", { name: "New project", exact: true });
    this.projectNameInput = page.getByRole("textbox", { name: "Project name", exact: true });
    this.createButton = page.getByRole("button", { name: "Create", exact: true });
    this.renameButton = page.getByRole("button", { name: "Rename project", exact: true });
    this.deleteButton = page.getByRole("button", { name: "Delete project", exact: true });
    this.log = page.getByRole("log", { name: "Messages", exact: true });
    this.articles = this.log.getByRole("article");
    this.userMessages = this.log.locator('article[data-role="user"]');
    this.messageInput = page.getByRole("textbox", { name: "Message", exact: true });
    this.sendButton = page.getByRole("button", { name: "Send", exact: true });
    this.connection = page.getByRole("status", { name: "Connection", exact: true });
  }

  projectLink(name: string): Locator {
    return this.nav.getByRole("link", { name, exact: true });
  }

  heading(name: string): Locator {
    return this.page.getByRole("heading", { name, exact: true });
  }

  /**
   * The user's message articles showing this text (a substring; whitespace is
   * normalised). Only the user's: the scripted assistant quotes what it was sent.
   */
  message(text: string): Locator {
    return this.userMessages.filter({ hasText: text });
  }

  async open(project: Pick<Project, "id" | "name">): Promise<void> {
    await this.page.goto(`/projects/${project.id}`);
    await expect(this.heading(project.name)).toBeVisible();
  }

  /** Creates a project through the UI and answers the id it was opened under. */
  async createProject(name: string, submit: "enter" | "button" = "enter"): Promise<string> {
    await this.newProjectButton.click();
    await this.projectNameInput.fill(name);
    if (submit === "enter") await this.projectNameInput.press("Enter");
    else await this.createButton.click();
    await expect(this.page).toHaveURL(projectUrl);
    return projectIdOf(this.page.url());
  }

  async sendMessage(text: string): Promise<void> {
    await this.messageInput.fill(text);
    await this.messageInput.press("Enter");
  }
}

export const projectUrl = /\/projects\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function projectIdOf(url: string): string {
  const id = new URL(url).pathname.split("/").at(-1);
  if (!id) throw new Error(`No project id in ${url}`);
  return id;
}

/** A name no other test (or earlier run against the same database) uses. */
export function uniqueName(label: string): string {
  return `${label} ${randomUUID().slice(0, 8)}`;
}

/**
 * Everything the page keeps in IndexedDB, as one JSON text. It reads every store of every
 * database, so it does not depend on the replica's schema.
 */
export function storedLocally(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const dump: unknown[] = [];
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue;
      const open = indexedDB.open(name);
      const db = await request(open);
      try {
        const stores = [...db.objectStoreNames];
        if (stores.length === 0) continue;
        const tx = db.transaction(stores, "readonly");
        for (const store of stores) dump.push(name, store, await request(tx.objectStore(store).getAll()));
      } finally {
        db.close();
      }
    }
    return JSON.stringify(dump);
  });
}

/** Waits until the service worker controls the page: it has every file of the app (precached). */
export async function inServiceWorkersHands(page: Page) {
  await expect.poll(() => page.evaluate(() => Boolean(navigator.serviceWorker.controller))).toBe(true);
}

/**
 * Waits until the service worker controls the page and the replica holds `texts` and has
 * settled (the same on two reads in a row; it is written in batches).
 */
export async function readyForOffline(page: Page, ...texts: string[]) {
  await inServiceWorkersHands(page);
  let previous = "";
  await expect
    .poll(
      async () => {
        const now = await storedLocally(page);
        const settled = now === previous && texts.every((text) => now.includes(text));
        previous = now;
        return settled;
      },
      { intervals: [150] },
    )
    .toBe(true);
}

/**
 * Presses a failed write's Retry after its route works again. The outbox also tries
 * again by itself (backoff from 1 s): on a slow machine that try can deliver the write
 * first and take Retry away before it is pressed. Either way the write is delivered;
 * anything else fails.
 */
export async function pressRetry(retry: Locator, delivered: () => Promise<boolean>): Promise<void> {
  const pressed = await retry.click({ timeout: 5_000 }).then(
    () => true,
    () => false,
  );
  if (!pressed)
    await expect.poll(delivered, { message: "Retry was gone, yet the write was not delivered" }).toBe(true);
}

export class ApiRoute {
  private readonly matches: (url: URL) => boolean;

  constructor(
    private readonly page: Page,
    private readonly method: string,
    pathname: string,
  ) {
    this.matches = (url) => url.pathname === pathname;
  }

  /** The server refuses (500) or the request never arrives (network error). */
  async fail(how: "500" | "network"): Promise<void> {
    await this.page.route(this.matches, async (route) => {
      if (route.request().method() !== this.method) return route.fallback();
      if (how === "network") return route.abort("failed");
      return route.fulfill({
        status: 500,
        json: { error: { code: "internal", message: "Refused by the test" } },
      });
    });
  }

  /** Holds the requests until `release` is called; they then go on to the server. */
  async hold(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await this.page.route(this.matches, async (route) => {
      if (route.request().method() !== this.method) return route.fallback();
      await released;
      return route.continue();
    });
    return release;
  }

  restore(): Promise<void> {
    return this.page.unroute(this.matches);
  }
}

/** What a test may wait for a server it starts to answer /api/health, and to stop. */
const SERVER_START_MS = 60_000;
/**
 * A worker's accounts server starts while the suite is under way, beside the other
 * worker's: on a loaded machine (two cores, other runs beside) that took over a minute.
 */
const WORKER_SERVER_START_MS = 150_000;
const SERVER_STOP_MS = 15_000;

interface TestFixtures {
  api: Api;
  app: TandemApp;
  store: Store;
  /** The worker's AUTH=accounts server, and the people (browser contexts) this test makes on it. */
  accounts: AccountsServer;
}

interface WorkerFixtures {
  sql: postgres.Sql | undefined;
  accountsServerURL: string;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  sql: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const url = process.env.DATABASE_URL;
      if (!url) return use(undefined);
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await use(sql);
      await sql.end({ timeout: 5 });
    },
    { scope: "worker" },
  ],
  api: async ({ baseURL }, use) => {
    await use(new Api(baseURL ?? ""));
  },
  // Playwright's own request context, for the specs that send raw requests: its writes
  // name this server as their Origin, as a browser on the app's page does (docs/api.md).
  request: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: baseURL ? { origin: baseURL } : {},
    });
    await use(request);
    await request.dispose();
  },
  // Every page of every test runs under the server's Content-Security-Policy: a test
  // fails if the browser refused anything the app tried to load or run.
  context: async ({ context }, use) => {
    const refused = await watchContentSecurityPolicy(context);
    await use(context);
    expect(refused, "Content-Security-Policy violations").toEqual([]);
  },
  app: async ({ page }, use, testInfo) => {
    // Uncaught errors in the page explain a blank screen better than a missing locator.
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.stack ?? String(error)));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console.error: ${message.text()}`);
    });
    await use(new TandemApp(page));
    if (errors.length > 0) {
      await testInfo.attach("page errors", { body: errors.join("\n\n"), contentType: "text/plain" });
    }
  },
  store: async ({ sql, api }, use) => {
    await use(sql ? postgresStore(sql) : apiStore(api));
  },
  accountsServerURL: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixture's dependencies from this pattern.
    async ({}, use, workerInfo) => {
      // Beside the suite's server (APP_PORT) and the own servers of single tests (APP_PORT + 50…).
      const port = APP_PORT + 10 + workerInfo.parallelIndex;
      const database = await accountsDatabase();
      const server = await spawnServer(
        port,
        { ...accountsServerEnv, ...database.env, AUTH: "accounts" },
        WORKER_SERVER_START_MS,
      ).catch(async (error: unknown) => {
        await database.drop();
        throw error;
      });
      await use(`http://127.0.0.1:${port}`);
      await server.stop();
      await database.drop();
    },
    { scope: "worker", timeout: WORKER_SERVER_START_MS + SERVER_STOP_MS },
  ],
  accounts: async ({ accountsServerURL, browser }, use) => {
    const contexts: BrowserContext[] = [];
    await use(new AccountsServer(accountsServerURL, browser, contexts));
    for (const context of contexts) {
      const refused = cspRefusals.get(context) ?? [];
      await context.close();
      expect(refused, "Content-Security-Policy violations").toEqual([]);
    }
  },
});

/**
 * Gives the running test `ms` more on top of its timeout, for a set-up it starts itself
 * (a server, a long reply): the suite's 30 s is for the test's own steps, and a busy
 * machine (CI beside a bench) can spend most of it starting a server.
 */
export function allowFor(ms: number): void {
  test.info().setTimeout(test.info().timeout + ms);
}

/**
 * A `[long]` reply is part of this test: its timeout grows by three times the reply's
 * length, and the answer is the timeout to wait for the reply's end with.
 */
export function expectsLongReply(): { timeout: number } {
  allowFor(3 * LONG_REPLY_MS);
  return { timeout: 3 * LONG_REPLY_MS };
}

/**
 * A Tandem server of a test's own on `port`, so it can be stopped without stopping the
 * suite's, or run beside it as a second instance. `DATA_DIR: "fresh"` gives it a new
 * PGlite directory (removed when it stops). The test's timeout grows by what starting and
 * stopping it may take; it is ready when /api/health answers.
 */
export async function startOwnServer(
  port: number,
  env: Record<string, string>,
): Promise<{ stop: () => Promise<void> }> {
  allowFor(SERVER_START_MS + SERVER_STOP_MS);
  return spawnServer(port, env);
}

/** Starts a server process and waits for /api/health (see startOwnServer). */
async function spawnServer(
  port: number,
  env: Record<string, string>,
  startMs = SERVER_START_MS,
): Promise<{ stop: () => Promise<void> }> {
  const dataDir = env.DATA_DIR === "fresh" ? mkdtempSync(join(tmpdir(), "tandem-e2e-own-")) : undefined;
  const child: ChildProcess = spawn("node", builtServerArgs, {
    env: {
      ...process.env,
      // As the suite's server (playwright.config.ts): specs share the local owner.
      CHAT_MAX_RUNNING: "1000",
      CHAT_DAILY_LIMIT: "1000000",
      FEED_MAX_CONNECTIONS_PER_USER: "1000",
      ...env,
      ...(dataDir ? { DATA_DIR: dataDir } : {}),
      PORT: String(port),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // The end of its error output, to say why a server that never answered did not.
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), SERVER_STOP_MS - 1_000);
      await exited;
      clearTimeout(killed);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await expect
      .poll(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`The server on port ${port} exited (${child.exitCode}): ${errors}`);
          return (await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => undefined))?.status;
        },
        { timeout: startMs, message: `The server on port ${port} answers /api/health` },
      )
      .toBe(200);
  } catch (error) {
    await stop();
    if (errors) console.error(`The server on port ${port} wrote:\n${errors}`);
    throw error;
  }
  return { stop };
}

/** The password of every account the e2e helpers make. */
export const E2E_PASSWORD = "correct horse battery staple";

/** A server in AUTH=accounts, besides its database. */
const accountsServerEnv = {
  HOST: "127.0.0.1",
  AI_BASE_URL: `http://127.0.0.1:${MODEL_PORT}/v1`,
  AI_MODEL: "scripted",
};

/**
 * A database of an accounts server's own: a fresh PGlite directory, or with DATABASE_URL
 * a fresh database on that Postgres. Never the suite's database: its first sign-up would
 * take over the local owner's projects, which the suite's local-mode server is using.
 * Answers the server's environment for it, and what drops it afterwards.
 */
async function accountsDatabase(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { env: { DATABASE_URL: "", DATA_DIR: "fresh" }, drop: async () => {} };
  const name = `tandem_e2e_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.href, AUTH_SECRET: "e2e-secret-that-is-at-least-32-characters" },
    drop: async () => {
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end({ timeout: 5 });
    },
  };
}

/** A server of a test's own in AUTH=accounts on `port`, on a database of its own (see accountsDatabase). */
export async function startAccountsServer(
  port: number,
  env: Record<string, string> = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const database = await accountsDatabase();
  const server = await startOwnServer(port, {
    ...accountsServerEnv,
    ...database.env,
    ...env,
    AUTH: "accounts",
  }).catch(async (error) => {
    await database.drop();
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
      await database.drop();
    },
  };
}

/** One person of an accounts-mode test: their own browser context, page and app. */
export interface Person {
  readonly name: string;
  readonly email: string;
  readonly password: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly app: TandemApp;
  /**
   * A JSON POST as this person (their browser's cookies, this server as the Origin).
   * Each on a connection of its own: a kept-alive one the server closes after its idle
   * timeout can be reset under the next request.
   */
  post(path: string, data?: unknown): Promise<APIResponse>;
}

/** The accounts-mode server of a worker, and the people a test makes on it. */
export class AccountsServer {
  constructor(
    readonly baseURL: string,
    private readonly browser: Browser,
    private readonly contexts: BrowserContext[],
  ) {}

  /**
   * A new person: a browser context of their own; `signedUp` makes their account (through
   * the API).
   */
  async person(label: string, { signedUp = true, offline = false } = {}): Promise<Person> {
    // `offline`: the service worker runs, so the app opens with no network (as in local-first.spec.ts).
    const context = await this.browser.newContext({
      baseURL: this.baseURL,
      serviceWorkers: offline ? "allow" : "block",
    });
    this.contexts.push(context);
    await watchContentSecurityPolicy(context);
    const page = await context.newPage();
    const tag = randomUUID().slice(0, 8);
    const origin = this.baseURL;
    const person: Person = {
      name: `${label} ${tag}`,
      email: `${label.toLowerCase()}-${tag}@example.test`,
      password: `secret-${randomUUID()}`,
      context,
      page,
      app: new TandemApp(page),
      // The context's own request client: cookies (a session) land in the person's browser.
      post: (path, data = {}) =>
        context.request.post(path, { data, headers: { origin, connection: "close" } }),
    };
    if (signedUp) {
      const res = await person.post("/api/auth/sign-up/email", {
        name: person.name,
        email: person.email,
        password: person.password,
      });
      expect(res.status(), await res.text()).toBe(200);
    }
    return person;
  }
}

/** Content-Security-Policy refusals this context's pages report (see the `context` fixture). */
const cspRefusals = new WeakMap<BrowserContext, string[]>();

async function watchContentSecurityPolicy(context: BrowserContext): Promise<string[]> {
  const refused: string[] = [];
  cspRefusals.set(context, refused);
  // Chromium does not log every refusal (a refused eval caught by the page is silent):
  // the page reports each one itself.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const where = `${event.sourceFile}:${event.lineNumber}`;
      console.error(
        `Content Security Policy refused ${event.violatedDirective} ${event.blockedURI} at ${where}`,
      );
    });
  });
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      refused.push(message.text());
    }
  });
  return refused;
}

/**
 * Makes an account on a server in AUTH=accounts through its API (not the UI) and answers
 * its session cookie (`name=value`, for `new Api(url, cookie)`) and its user. A fresh
 * email unless given.
 */
export async function signUpByApi(
  baseURL: string,
  { name = "Someone", email = `${name.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com` } = {},
): Promise<{ cookie: string; user: { id: string; name: string; email: string } }> {
  const response = await fetch(`${baseURL}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { origin: baseURL, "content-type": "application/json" },
    body: JSON.stringify({ name, email, password: E2E_PASSWORD }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] ?? "")
    .find((pair) => pair.includes("session_token=") && !pair.endsWith("="));
  if (!cookie) throw new Error("The sign-up answer set no session cookie");
  const { user } = (await response.json()) as { user: { id: string; name: string; email: string } };
  return { cookie, user: { id: user.id, name: user.name, email: user.email } };
}
