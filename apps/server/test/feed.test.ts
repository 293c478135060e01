import { randomUUID } from "node:crypto";
import { changeLog, changeLogTrim, projects } from "@tandem/db/schema";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { appendChanges, projectChanges, readHead, trimChangeLog } from "../src/feed/change-log.ts";
import { backends, useTestServer } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { openFeed, openFeedAtHead } from "./feed.ts";
import { answerOf, call, createMessage, createProject, expectInvalid, OWN_ORIGIN } from "./http.ts";

describe.each(backends)("GET /api/changes on %s", (kind) => {
  // No poll to speak of: a change must arrive through NOTIFY, or the catch-up after a reconnect.
  const server = useTestServer(kind, { feed: { keepAliveMs: 100, pollMs: 60_000 } });
  const db = () => server.handle.db;

  test("this instance's own writes reach its feed without a read of the log, whenever their NOTIFY arrives", async () => {
    const { feed } = await openFeedAtHead(server);
    const reads = server.feed.logReads;
    const project = await createProject(server, { name: "Handed over" });
    for (let i = 0; i < 20; i++) await createMessage(server, project.id, { content: `Handed over ${i}` });
    const changes = await feed.changes(21);
    expect(changes.at(-1)?.event).toMatchObject({ entity: "message", row: { content: "Handed over 19" } });
    expect(server.feed.logReads).toBe(reads);
    await feed.close();
  });

  test("starts with ready at the head, then each change as it commits, its position as the id", async () => {
    const head = await readHead(db());
    const { feed, position } = await openFeedAtHead(server);
    expect(position).toBe(String(head));

    const project = await createProject(server, { name: "Live" });
    const message = await createMessage(server, project.id, { content: "Hi" });
    const [first, second] = await feed.changes(2);
    expect(first?.event).toEqual({
      entity: "project",
      op: "upsert",
      id: project.id,
      projectId: project.id,
      row: project,
    });
    expect(second?.event).toEqual({
      entity: "message",
      op: "upsert",
      id: message.id,
      projectId: project.id,
      row: message,
    });
    expect(BigInt(first?.id ?? 0)).toBeGreaterThan(head);
    expect(BigInt(second?.id ?? 0)).toBeGreaterThan(BigInt(first?.id ?? 0));
    expect(second?.id).toBe(String(await readHead(db())));
    await feed.close();
  });

  test("the answer to a write names the position its change has on the feed", async () => {
    const { feed } = await openFeedAtHead(server);
    const response = await server.app.request("/api/projects", {
      method: "POST",
      headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
      body: JSON.stringify({ id: randomUUID(), name: "Positioned" }),
    });
    const change = await feed.nextChange();
    expect(response.headers.get("x-feed-position")).toBe(change.id);
    await feed.close();
  });

  /** Five changes; answers their positions. */
  async function fiveChanges() {
    const { feed } = await openFeedAtHead(server);
    const project = await createProject(server);
    for (const content of ["a", "b", "c"]) await createMessage(server, project.id, { content });
    await call(server, "PATCH", `/api/projects/${project.id}`, { name: "Renamed", version: 1 });
    const changes = await feed.changes(5);
    await feed.close();
    return changes;
  }

  test.each([
    ["?since", { since: true }],
    ["Last-Event-ID", { since: false }],
  ])("resuming with %s gets every change after it exactly once, then the live ones", async (_, { since }) => {
    const changes = await fiveChanges();
    const from = changes[1]?.id ?? "";
    const feed = await openFeed(server, since ? { since: from } : { lastEventId: from });
    expect(await feed.next()).toEqual({ type: "ready", id: from, position: from });
    const replayed = await feed.changes(3);
    expect(replayed).toEqual(changes.slice(2));
    // Nothing twice: the next one is a new change.
    const project = await createProject(server);
    expect((await feed.nextChange()).event.id).toBe(project.id);
    await feed.close();
  });

  test("Last-Event-ID wins over ?since (a reconnecting EventSource keeps its first URL)", async () => {
    const changes = await fiveChanges();
    const feed = await openFeed(server, { since: changes[0]?.id ?? "", lastEventId: changes[3]?.id ?? "" });
    expect(await feed.next()).toMatchObject({ type: "ready", position: changes[3]?.id });
    expect(await feed.nextChange()).toEqual(changes[4]);
    await feed.close();
  });

  test("a position whose changes were trimmed gets reset to the head; the trim mark itself does not", async () => {
    const changes = await fiveChanges();
    const through = await trimChangeLog(db(), 0);
    expect(through).toBe(await readHead(db()));
    const head = String(through);

    const behind = await openFeed(server, { since: changes[0]?.id ?? "" });
    expect(await behind.next()).toEqual({ type: "ready", id: head, position: head });
    expect(await behind.next()).toEqual({ type: "reset", id: head, position: head });
    const atMark = await openFeed(server, { since: head });
    expect(await atMark.next()).toEqual({ type: "ready", id: head, position: head });

    const project = await createProject(server);
    expect((await behind.nextChange()).event.id).toBe(project.id);
    expect((await atMark.nextChange()).event.id).toBe(project.id);
    await behind.close();
    await atMark.close();
  });

  test("a position this database never had (it was recreated) gets reset to the head", async () => {
    const head = String(await readHead(db()));
    const feed = await openFeed(server, { since: "999999999" });
    expect(await feed.next()).toEqual({ type: "ready", id: head, position: head });
    expect(await feed.next()).toEqual({ type: "reset", id: head, position: head });
    await feed.close();
  });

  test("an idle connection gets keep-alive comments", async () => {
    const { feed } = await openFeedAtHead(server);
    expect(await feed.next()).toEqual({ type: "comment", text: ": keep-alive" });
    expect(await feed.next()).toEqual({ type: "comment", text: ": keep-alive" });
    await feed.close();
  });

  test.each(["abc", "-1", "1.5", "1e3", "99999999999999999999", "9223372036854775808", ""])(
    "?since=%j is refused with 400",
    async (since) => {
      const response = await server.app.request(`/api/changes?since=${encodeURIComponent(since)}`);
      expectInvalid(await answerOf(response), ["since"]);
    },
  );

  test("a Last-Event-ID that is not a position is refused with 400", async () => {
    const response = await server.app.request("/api/changes", { headers: { "last-event-id": "x1" } });
    expectInvalid(await answerOf(response), ["Last-Event-ID"]);
  });

  test("a lost listening connection comes back and catches up with what committed meanwhile", async () => {
    const { feed } = await openFeedAtHead(server);
    await server.feed.dropListener();
    // Written at once, while the listener is (probably) still down: its NOTIFY may be lost.
    const project = await createProject(server);
    expect((await feed.nextChange()).event.id).toBe(project.id);
    await server.feed.dropListener();
    await server.feed.dropListener();
    const renamed = await call(server, "PATCH", `/api/projects/${project.id}`, { name: "Again", version: 1 });
    expect((await feed.nextChange()).event.row).toEqual(renamed.body);
    await feed.close();
  });

  test("HEAD answers the headers and holds no connection", async () => {
    const before = server.feed.subscriberCount;
    const response = await server.app.request("/api/changes", { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(server.feed.subscriberCount).toBe(before);
  });

  test("a closed connection leaves the hub", async () => {
    const before = server.feed.subscriberCount;
    const { feed } = await openFeedAtHead(server);
    expect(server.feed.subscriberCount).toBe(before + 1);
    await feed.close();
    await waitFor("the hub to let go", () => server.feed.subscriberCount === before);
  });
});

describe.each(backends)("a feed connection far behind, on %s", (kind) => {
  // Almost nothing kept in memory and small reads: catching up goes through the log, batch by batch.
  const server = useTestServer(kind, { feed: { recentBytes: 1, batchSize: 2, pollMs: 60_000 } });

  test("reads the log in batches, then takes the live changes without a gap or a duplicate", async () => {
    const start = String(await readHead(server.handle.db));
    const project = await createProject(server);
    const messages = [];
    for (let i = 0; i < 7; i++) messages.push(await createMessage(server, project.id, { content: `m${i}` }));

    const feed = await openFeed(server, { since: start });
    expect(await feed.next()).toMatchObject({ type: "ready", position: start });
    const caughtUp = await feed.changes(8);
    expect(caughtUp.map((change) => change.event.id)).toEqual([project.id, ...messages.map((m) => m.id)]);
    const ids = caughtUp.map((change) => BigInt(change.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));

    const live = await createMessage(server, project.id, { content: "live" });
    expect((await feed.nextChange()).event.id).toBe(live.id);
    await feed.close();
  });

  /** Resolves once the hub itself has read through the log's head; answers the head. */
  async function hubAtHead() {
    const head = await readHead(server.handle.db);
    server.feed.wake();
    await waitFor("the hub to read the head", () => server.feed.readThrough >= head);
    return head;
  }

  /** Records what one subscription is sent, as "change N" and "reset N". */
  function record(after: bigint) {
    const seen: string[] = [];
    const subscription = server.feed.subscribe(after, {
      change: (change) => seen.push(`change ${change.position}`),
      reset: (position) => seen.push(`reset ${position}`),
      end: () => seen.push("end"),
    });
    return { seen, close: () => subscription.close() };
  }

  /** `seen` gets one reset to `through`, then (after a new write) that write, and nothing else. */
  async function expectOneResetThenLive(seen: string[], through: bigint | undefined, projectId: string) {
    await waitFor("the reset", () => seen.length > 0);
    expect(seen).toEqual([`reset ${through}`]);
    await createMessage(server, projectId);
    await waitFor("the next change", () => seen.length > 1);
    expect(seen).toEqual([`reset ${through}`, `change ${await readHead(server.handle.db)}`]);
  }

  test("entries trimmed after it connected, before it read them, reset it rather than skip them", async () => {
    const start = await readHead(server.handle.db);
    const project = await createProject(server);
    for (let i = 0; i < 5; i++) await createMessage(server, project.id, { content: `m${i}` });
    const resolved = await server.feed.resolve(start);
    expect(resolved).toEqual({ position: start, reset: false });
    // The hub is past them (so only this connection's own catch-up meets the trim).
    await hubAtHead();
    const through = await trimChangeLog(server.handle.db, 0);

    const { seen, close } = record(resolved.position);
    await expectOneResetThenLive(seen, through, project.id);
    close();
  });

  test("the hub itself missing entries to a trim resets each live connection once, to the head", async () => {
    const project = await createProject(server);
    const { seen, close } = record(await hubAtHead());
    // Appended and trimmed in one transaction: the hub is woken only when they are already gone.
    const [row] = await server.handle.db.select().from(projects).where(eq(projects.id, project.id));
    if (!row) throw new Error("the project was not stored");
    const through = await server.handle.db.transaction(async (tx) => {
      const last = await appendChanges(tx, projectChanges("upsert", [row, row, row]));
      await tx.delete(changeLog);
      await tx.update(changeLogTrim).set({ trimmedThrough: last ?? 0n });
      await tx
        .insert(changeLogTrim)
        .values({ one: true, trimmedThrough: last ?? 0n })
        .onConflictDoNothing();
      return last;
    });
    await expectOneResetThenLive(seen, through, project.id);
    close();
  });
});

describe.each(backends)("shutting the feed down on %s", (kind) => {
  const server = useTestServer(kind);

  test("ends every open connection, so the server can close", async () => {
    const { feed } = await openFeedAtHead(server);
    await server.feed.close();
    await feed.ended();
  });
});
