import { randomUUID } from "node:crypto";
import type { DbHandle } from "@tandem/db/client";
import { messages, projects } from "@tandem/db/schema";
import {
  type ChangeEvent,
  FEED_POSITION_HEADER,
  type Message,
  messageListSchema,
  messageSchema,
  type Project,
  projectListSchema,
  projectSchema,
} from "@tandem/shared";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { readHead, trimChangeLog } from "../src/feed/change-log.ts";
import { FeedHub } from "../src/feed/hub.ts";
import { toMessage, toProject } from "../src/rows.ts";
import { backends, createTestDatabase, openDb, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { type FeedReader, openFeed } from "./feed.ts";
import { OWN_ORIGIN, type WithApp } from "./http.ts";

/**
 * The property: however writes from several clients interleave, and whenever feed
 * connections and the instances' listening connections are cut, every client that
 * keeps a replica from snapshots plus the feed ends up equal to the database, having
 * seen each change once, in order. Seeded: FEED_PROPERTY_SEED and FEED_PROPERTY_RUNS
 * reproduce or widen a run.
 */
const SEED = Number(process.env.FEED_PROPERTY_SEED ?? 20_261_124);
const RUNS = Number(process.env.FEED_PROPERTY_RUNS ?? 40);
const CLIENTS = 4;

type Write =
  | { kind: "createProject"; client: number; name: string }
  | { kind: "renameProject"; client: number; pick: number; name: string }
  | { kind: "deleteProject"; client: number; pick: number }
  | { kind: "sendMessage"; client: number; pick: number; content: string }
  | { kind: "editMessage"; client: number; pick: number; content: string }
  | { kind: "deleteMessage"; client: number; pick: number }
  /** The same create again: a retry after a lost answer (200, or 409 after a rename, or a new row after a delete). */
  | { kind: "resendCreate"; client: number; pick: number };

type Action =
  | Write
  | { kind: "concurrently"; writes: Write[] }
  /** Two clients rename the same project from the version each has: one of them is stale (409). */
  | { kind: "conflictingRenames"; clients: [number, number]; pick: number; names: [string, string] }
  /** The client's connection drops; it reconnects with its last id after `away` more actions (0: at once). */
  | { kind: "cutFeed"; client: number; away: number }
  | { kind: "dropListener"; instance: number }
  | { kind: "trim" };

const client = fc.nat({ max: CLIENTS - 1 });
const pick = fc.nat({ max: 10_000 });
const words = fc
  .tuple(fc.constantFrom("Launch", "Notes", "Ideas", "Plan", "Draft", "Ops"), fc.nat({ max: 999 }))
  .map(([word, n]) => `${word} ${n}`);

const write: fc.Arbitrary<Write> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("createProject" as const), client, name: words }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("renameProject" as const), client, pick, name: words }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteProject" as const), client, pick }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("sendMessage" as const), client, pick, content: words }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("editMessage" as const), client, pick, content: words }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteMessage" as const), client, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("resendCreate" as const), client, pick }) },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: write },
  {
    weight: 3,
    arbitrary: fc
      .array(write, { minLength: 2, maxLength: 3 })
      .map((writes) => ({ kind: "concurrently" as const, writes })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("conflictingRenames" as const),
      clients: fc.tuple(client, client).filter(([x, y]) => x !== y),
      pick,
      names: fc.tuple(words, words),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("cutFeed" as const),
      client,
      away: fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 6 }) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("dropListener" as const), instance: fc.nat({ max: 1 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "trim" as const }) },
);

/** What the run did, to check the scenario really covered conflicts, resets and cuts. */
const stats = { writes: 0, conflicts: 0, resets: 0, cuts: 0, drops: 0, trims: 0, changes: 0 };

const byKey = <T extends { id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** Whichever version is newer: a row never goes back. */
function upsert<T extends { id: string; version: number }>(map: Map<string, T>, row: T) {
  const current = map.get(row.id);
  if (!current || row.version > current.version) map.set(row.id, row);
}

/**
 * A client as the browser is one: a replica of projects and messages, filled from
 * snapshots and kept by the feed; its own writes' answers go in too. It checks that
 * the positions it is sent only grow.
 */
class SimClient {
  readonly projects = new Map<string, Project>();
  readonly messages = new Map<string, Message>();
  /** Creates this client sent, to send again. */
  readonly sent: Array<{ id: string; name: string }> = [];
  /** The last position applied (what it resumes from). */
  cursor = 0n;
  refetching = false;
  readonly problems: string[] = [];
  #feed: FeedReader | undefined;
  #loop: Promise<void> | undefined;
  #closing = false;

  constructor(
    readonly name: string,
    readonly server: WithApp,
  ) {}

  async start() {
    this.cursor = await this.#loadSnapshots();
    await this.#connect({ since: String(this.cursor) });
  }

  /** The connection drops (the client is offline until `reconnect`). */
  async cut() {
    if (!this.#feed) return;
    this.#closing = true;
    await this.#feed.close();
    await this.#loop;
    this.#feed = undefined;
    this.#closing = false;
  }

  get connected() {
    return this.#feed !== undefined;
  }

  /** Back online: resumes with its last id, as a reconnecting EventSource does. */
  async reconnect() {
    if (!this.#feed) await this.#connect({ lastEventId: String(this.cursor) });
  }

  async stop() {
    this.#closing = true;
    await this.#feed?.close();
    await this.#loop;
  }

  async #connect(options: { since?: string; lastEventId?: string }) {
    const feed = await openFeed(this.server, options);
    this.#feed = feed;
    this.#loop = this.#run(feed);
  }

  async #run(feed: FeedReader) {
    const asked = this.cursor;
    let first = true;
    let resetExpected = false;
    try {
      for (;;) {
        const message = await feed.next({ timeoutMs: 60_000 });
        if (message.type === "comment" || message.type === "retry") continue;
        if (first) {
          first = false;
          if (message.type !== "ready") this.problems.push(`${this.name}: ${message.type} before ready`);
          else if (BigInt(message.position) !== asked) resetExpected = true;
          continue;
        }
        if (resetExpected && message.type !== "reset") {
          this.problems.push(`${this.name}: ready at ${message.id} for ${asked}, without a reset`);
        }
        resetExpected = false;
        if (message.type === "ready") {
          this.problems.push(`${this.name}: a second ready`);
        } else if (message.type === "reset") {
          stats.resets++;
          this.cursor = BigInt(message.position);
          // The stream waits while the snapshots load; what it brings then goes on top.
          this.refetching = true;
          await this.#loadSnapshots();
          this.refetching = false;
        } else if (message.type === "change") {
          const position = BigInt(message.id);
          if (position <= this.cursor) {
            this.problems.push(
              `${this.name}: position ${position} after ${this.cursor} (a duplicate or out of order)`,
            );
          }
          this.cursor = position;
          stats.changes++;
          this.#apply(message.event);
        }
      }
    } catch (error) {
      if (!this.#closing) this.problems.push(`${this.name}: the feed failed: ${String(error)}`);
    }
  }

  #apply(event: ChangeEvent) {
    if (event.entity === "project") {
      if (event.op === "delete") {
        // One event for the project and everything in it, as the browser applies it.
        this.projects.delete(event.id);
        for (const message of this.messages.values()) {
          if (message.projectId === event.id) this.messages.delete(message.id);
        }
      } else upsert(this.projects, event.row);
    } else if (event.entity === "message") {
      if (event.op === "delete") this.messages.delete(event.id);
      else upsert(this.messages, event.row);
    }
  }

  /** Replaces the replica with fresh snapshots; answers the oldest position among them. */
  async #loadSnapshots(): Promise<bigint> {
    const list = await this.server.app.request("/api/projects");
    let oldest = BigInt(list.headers.get(FEED_POSITION_HEADER) ?? "0");
    const rows = projectListSchema.parse(await list.json());
    const loaded: Message[] = [];
    for (const project of rows) {
      const page = await this.server.app.request(`/api/projects/${project.id}/messages?limit=1000`);
      if (page.status === 404) continue;
      const position = BigInt(page.headers.get(FEED_POSITION_HEADER) ?? "0");
      if (position < oldest) oldest = position;
      loaded.push(...messageListSchema.parse(await page.json()));
    }
    this.projects.clear();
    this.messages.clear();
    for (const row of rows) this.projects.set(row.id, row);
    for (const row of loaded) this.messages.set(row.id, row);
    return oldest;
  }

  pickProject(n: number): Project | undefined {
    const rows = byKey([...this.projects.values()]);
    return rows[n % Math.max(1, rows.length)];
  }

  pickMessage(n: number): Message | undefined {
    const rows = byKey([...this.messages.values()]);
    return rows[n % Math.max(1, rows.length)];
  }

  /** A write's answer, as the browser's handlers take it. */
  async send(method: string, path: string, body?: unknown) {
    const response = await this.server.app.request(path, {
      method,
      headers:
        body === undefined
          ? { origin: OWN_ORIGIN }
          : { origin: OWN_ORIGIN, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { error?: { code: string; current?: unknown } };
    stats.writes++;
    if (![200, 201, 404, 409].includes(response.status)) {
      this.problems.push(
        `${this.name}: ${method} ${path} answered ${response.status} ${JSON.stringify(json)}`,
      );
    }
    if (response.status === 409) stats.conflicts++;
    return { status: response.status, body: json as unknown, current: json.error?.current };
  }
}

/** Offline clients, and how many more actions until each comes back. */
type Away = Map<SimClient, number>;

async function perform(clients: SimClient[], step: Action, instances: Instance[], away: Away): Promise<void> {
  switch (step.kind) {
    case "concurrently":
      await Promise.all(step.writes.map((one) => perform(clients, one, instances, away)));
      return;
    case "conflictingRenames": {
      const [first, second] = step.clients.map((i) => clients[i] ?? fail());
      const target = first?.pickProject(step.pick);
      if (!first || !second || !target) return;
      const theirs = second.projects.get(target.id);
      await Promise.all([
        renameAs(first, target, step.names[0]),
        theirs ? renameAs(second, theirs, step.names[1]) : Promise.resolve(),
      ]);
      return;
    }
    case "cutFeed": {
      const one = clients[step.client] ?? fail();
      stats.cuts++;
      await one.cut();
      if (step.away === 0) await one.reconnect();
      else away.set(one, step.away);
      return;
    }
    case "dropListener":
      stats.drops++;
      await instances[step.instance]?.feed.dropListener();
      return;
    case "trim":
      stats.trims++;
      await trimChangeLog(instances[0]?.handle.db ?? fail(), 0);
      return;
    default:
      await writeAs(clients[step.client] ?? fail(), step);
  }
}

async function renameAs(client: SimClient, project: Project, name: string) {
  const answer = await client.send("PATCH", `/api/projects/${project.id}`, {
    name,
    version: project.version,
  });
  if (answer.status === 200) upsert(client.projects, projectSchema.parse(answer.body));
  if (answer.status === 409) upsert(client.projects, projectSchema.parse(answer.current));
  if (answer.status === 404) client.projects.delete(project.id);
}

async function writeAs(client: SimClient, step: Write) {
  switch (step.kind) {
    case "createProject": {
      const id = randomUUID();
      client.sent.push({ id, name: step.name });
      const answer = await client.send("POST", "/api/projects", { id, name: step.name });
      if (answer.status === 201) upsert(client.projects, projectSchema.parse(answer.body));
      return;
    }
    case "resendCreate": {
      const again = client.sent[step.pick % Math.max(1, client.sent.length)];
      if (!again) return;
      const answer = await client.send("POST", "/api/projects", again);
      if (answer.status === 200 || answer.status === 201)
        upsert(client.projects, projectSchema.parse(answer.body));
      return;
    }
    case "renameProject": {
      const project = client.pickProject(step.pick);
      if (project) await renameAs(client, project, step.name);
      return;
    }
    case "deleteProject": {
      const project = client.pickProject(step.pick);
      if (!project) return;
      const answer = await client.send("DELETE", `/api/projects/${project.id}`);
      if (answer.status === 200 || answer.status === 404) {
        client.projects.delete(project.id);
        for (const message of client.messages.values()) {
          if (message.projectId === project.id) client.messages.delete(message.id);
        }
      }
      return;
    }
    case "sendMessage": {
      const project = client.pickProject(step.pick);
      if (!project) return;
      const answer = await client.send("POST", "/api/messages", {
        id: randomUUID(),
        projectId: project.id,
        content: step.content,
      });
      if (answer.status === 201) upsert(client.messages, messageSchema.parse(answer.body));
      return;
    }
    case "editMessage": {
      const message = client.pickMessage(step.pick);
      if (!message) return;
      const answer = await client.send("PATCH", `/api/messages/${message.id}`, {
        content: step.content,
        version: message.version,
      });
      if (answer.status === 200) upsert(client.messages, messageSchema.parse(answer.body));
      if (answer.status === 409) upsert(client.messages, messageSchema.parse(answer.current));
      if (answer.status === 404) client.messages.delete(message.id);
      return;
    }
    case "deleteMessage": {
      const message = client.pickMessage(step.pick);
      if (!message) return;
      const answer = await client.send("DELETE", `/api/messages/${message.id}`);
      if (answer.status === 200 || answer.status === 404) client.messages.delete(message.id);
      return;
    }
  }
}

interface Instance {
  handle: DbHandle;
  feed: FeedHub;
  assistant: Assistant;
  app: WithApp["app"];
}

const quiet = { log: () => {}, warn: () => {}, error: console.error };

describe.each(backends)("the change feed under random writes, cuts and drops, on %s", (kind) => {
  let database: TestDatabase | undefined;
  const handles: DbHandle[] = [];
  const instances: Instance[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // Two instances: with Postgres each has its own pool and listening connection, as two
    // processes would; PGlite can be opened once, so there they share it (two hubs).
    const first = await openDb(database.env);
    const second = kind === "postgres" ? await openDb(database.env) : first;
    handles.push(first, ...(second === first ? [] : [second]));
    for (const [i, handle] of [first, second].entries()) {
      // No poll: every change must come through NOTIFY or the catch-up after a reconnect.
      // Instance 0 keeps almost nothing in memory, so its connections catch up from the log.
      const feed = new FeedHub(handle, {
        pollMs: 600_000,
        keepAliveMs: 250,
        batchSize: 3,
        recentBytes: i === 0 ? 2000 : undefined,
        logger: quiet,
      });
      const assistant = new Assistant(handle, { feed });
      instances.push({ handle, feed, assistant, app: createApp({ db: handle, feed, assistant }) });
    }
  });

  afterAll(async () => {
    for (const { assistant, feed } of instances) {
      await assistant.shutdown();
      await feed.close();
    }
    for (const handle of handles) await handle.close();
    await database?.drop();
  });

  test(`every client's replica equals the database (seed ${SEED}, ${RUNS} runs)`, async () => {
    const db = () => instances[0]?.handle.db ?? fail();
    for (const key of Object.keys(stats) as Array<keyof typeof stats>) stats[key] = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), async (actions) => {
        const clients = Array.from(
          { length: CLIENTS },
          (_, i) => new SimClient(`client ${i}`, { app: instances[i % 2]?.app ?? fail() }),
        );
        try {
          for (const one of clients) await one.start();
          const away: Away = new Map();
          for (const step of actions) {
            await perform(clients, step, instances, away);
            for (const [one, left] of away) {
              if (left > 1) away.set(one, left - 1);
              else {
                away.delete(one);
                await one.reconnect();
              }
            }
          }
          for (const one of away.keys()) await one.reconnect();

          const head = await readHead(db());
          for (const one of clients) {
            await waitFor(
              `${one.name} to reach position ${head}`,
              () => one.problems.length > 0 || (one.cursor >= head && !one.refetching),
              { timeoutMs: 20_000, everyMs: 10 },
            );
          }
          const storedProjects = byKey((await db().select().from(projects)).map(toProject));
          const storedMessages = byKey((await db().select().from(messages)).map(toMessage));
          for (const one of clients) {
            expect(one.problems).toEqual([]);
            expect(byKey([...one.projects.values()])).toEqual(storedProjects);
            expect(byKey([...one.messages.values()])).toEqual(storedMessages);
          }
        } finally {
          for (const one of clients) await one.stop();
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `Change feed property on ${kind}, seed ${SEED}, ${RUNS} runs, ${seconds} s:`,
      JSON.stringify(stats),
    );
    // The scenario must have exercised what it is about.
    expect(stats.conflicts).toBeGreaterThan(0);
    expect(stats.resets).toBeGreaterThan(0);
    expect(stats.cuts).toBeGreaterThan(0);
    expect(stats.drops).toBeGreaterThan(0);
  }, 120_000);
});

function fail(): never {
  throw new Error("Not set up");
}
