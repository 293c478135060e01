import type { Message, Project } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import {
  inOrder,
  isPlainSend,
  isRefusal,
  laneOf,
  nextBackoff,
  nextPerLane,
  type OutboxEntry,
  type OutboxWrite,
  overlayPending,
  RETRY_MAX_MS,
  RETRY_MIN_MS,
  rebaseVersion,
  receiveNotice,
  withPendingWrites,
} from "../src/lib/outbox-rules.ts";

const at = "2026-11-30T00:00:00.000Z";
const project = (id: string, name = id, version = 1): Project => ({
  id,
  name,
  status: "active",
  instructions: "",
  ownerId: "00000000-0000-4000-8000-000000000001",
  createdAt: at,
  updatedAt: at,
  version,
});
const message = (id: string, projectId: string): Message => ({
  id,
  projectId,
  parentId: null,
  role: "user",
  content: id,
  parts: [{ type: "text", text: id }],
  status: "complete",
  error: null,
  createdAt: at,
  updatedAt: at,
  version: 1,
});
const entry = (id: string, write: OutboxWrite, seq?: number): OutboxEntry => ({
  id,
  write,
  attempts: 0,
  ...(seq === undefined ? {} : { seq }),
});

describe("what a notice does to a tab", () => {
  const create: OutboxWrite = { kind: "createProject", project: project("p") };

  test("an enqueued write is shown at once, once", () => {
    const first = receiveNotice(new Map(), { type: "enqueued", entry: entry("e", create) });
    expect(first.effects).toEqual([{ type: "show", write: create }]);
    expect([...first.entries.keys()]).toEqual(["e"]);
    const again = receiveNotice(first.entries, { type: "enqueued", entry: entry("e", create) });
    expect(again.effects).toEqual([]);
    expect(again.entries).toBe(first.entries);
  });

  test("a stored write gets its place and wakes the sender", () => {
    const known = new Map([["e", entry("e", create)]]);
    const { entries, effects } = receiveNotice(known, { type: "stored", id: "e", seq: 7 });
    expect(entries.get("e")?.seq).toBe(7);
    expect(effects).toEqual([{ type: "wake", now: false }]);
  });

  test("a delivered write leaves the outbox and its row replaces the user's, even in a tab that never knew it", () => {
    const delivered = { entity: "project" as const, row: project("p", "p", 1) };
    const known = receiveNotice(new Map([["e", entry("e", create)]]), {
      type: "delivered",
      id: "e",
      delivered,
    });
    expect(known.entries.size).toBe(0);
    expect(known.effects).toEqual([{ type: "confirm", delivered }]);
    const unknown = receiveNotice(new Map(), { type: "delivered", id: "e", delivered });
    expect(unknown.effects).toEqual([{ type: "confirm", delivered }]);
  });

  test("a refused write leaves the outbox and is rolled back with what the server holds", () => {
    const current = project("p", "theirs", 3);
    const { entries, effects } = receiveNotice(new Map([["e", entry("e", create)]]), {
      type: "refused",
      id: "e",
      error: "conflict",
      status: 409,
      current,
    });
    expect(entries.size).toBe(0);
    expect(effects).toEqual([{ type: "roll-back", write: create, error: "conflict", status: 409, current }]);
  });

  test("a failed attempt is remembered; Retry wakes the sender without waiting", () => {
    const { entries } = receiveNotice(new Map([["e", entry("e", create)]]), {
      type: "attempted",
      id: "e",
      attempts: 2,
      error: "Can't reach the server",
    });
    expect(entries.get("e")).toMatchObject({ attempts: 2, error: "Can't reach the server" });
    expect(receiveNotice(entries, { type: "retry-now" }).effects).toEqual([{ type: "wake", now: true }]);
  });
});

describe("order", () => {
  test("writes are ordered per project: a project's creation and its messages share a line", () => {
    expect(laneOf({ kind: "createProject", project: project("a") })).toBe("a");
    expect(laneOf({ kind: "sendMessage", message: message("m", "a") })).toBe("a");
    expect(laneOf({ kind: "sendMessage", message: message("n", "b") })).toBe("b");
  });

  test("a tab knows writes in the order they were made: stored ones by place, then those still being stored", () => {
    const write: OutboxWrite = { kind: "createProject", project: project("p") };
    const known = [entry("late", write), entry("second", write, 2), entry("first", write, 1)];
    expect(inOrder(known).map((e) => e.id)).toEqual(["first", "second", "late"]);
  });

  test("the first write of each project goes next, whatever the other projects hold", () => {
    const stored = [
      { seq: 3, write: { kind: "sendMessage", message: message("m2", "a") } },
      { seq: 1, write: { kind: "createProject", project: project("a") } },
      { seq: 2, write: { kind: "sendMessage", message: message("m1", "b") } },
      { seq: 4, write: { kind: "sendMessage", message: message("m3", "b") } },
    ] satisfies Array<{ seq: number; write: OutboxWrite }>;
    expect(nextPerLane(stored).map((entry) => entry.seq)).toEqual([1, 2]);
  });
});

describe("which sends the server places", () => {
  test("a plain send is placed by the server; an edit and a regenerate go where they say", () => {
    const sent = message("m", "a");
    expect(isPlainSend({ kind: "sendMessage", message: sent })).toBe(true);
    expect(isPlainSend({ kind: "sendMessage", message: sent, edits: "e" })).toBe(false);
    expect(isPlainSend({ kind: "sendMessage", message: { ...sent, role: "assistant", parentId: "u" } })).toBe(
      false,
    );
    expect(isPlainSend({ kind: "createProject", project: project("a") })).toBe(false);
  });
});

describe("refusal and backoff", () => {
  test("a 4xx is refused for good, except a reply still being written", () => {
    expect(isRefusal(400, "invalid_input")).toBe(true);
    expect(isRefusal(409, "version_conflict")).toBe(true);
    expect(isRefusal(409, "generation_running")).toBe(false);
    expect(isRefusal(500, "internal")).toBe(false);
    expect(isRefusal(0, "network")).toBe(false);
  });

  test("an ended session and the per-user reply limit wait; the daily limit is refused", () => {
    expect(isRefusal(401, "unauthorized")).toBe(false);
    expect(isRefusal(429, "generation_limit")).toBe(false);
    expect(isRefusal(429, "daily_limit")).toBe(true);
    expect(isRefusal(404, "not_found")).toBe(true);
  });

  test("the wait doubles from a second up to half a minute", () => {
    const waits: number[] = [];
    let ms: number | undefined;
    for (let i = 0; i < 8; i++) {
      ms = nextBackoff(ms);
      waits.push(ms);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(waits[0]).toBe(RETRY_MIN_MS);
    expect(Math.max(...waits)).toBe(RETRY_MAX_MS);
  });
});

describe("chained renames", () => {
  test("a rename made from the version our previous rename replaced is sent from the version it made", () => {
    expect(rebaseVersion(undefined, 3)).toBe(3);
    expect(rebaseVersion({ from: 3, to: 4 }, 3)).toBe(4);
    // Made from another version: sent as made (the server decides).
    expect(rebaseVersion({ from: 3, to: 4 }, 5)).toBe(5);
  });
});

describe("pending writes over server rows", () => {
  test("a pending rename keeps its name over a newer row; a pending delete hides it", () => {
    const newer = project("p", "theirs", 5);
    const rename: OutboxWrite = {
      kind: "updateProject",
      project: project("p", "mine", 4),
      baseVersion: 4,
    };
    expect(overlayPending(newer, [rename])).toEqual({ ...newer, name: "mine" });
    expect(overlayPending(newer, [rename, { kind: "deleteProject", project: newer }])).toBeUndefined();
    expect(overlayPending(newer, [])).toBe(newer);
  });

  test("a snapshot read before the server had a write still holds it", () => {
    const server = [project("a", "a"), project("b", "b")];
    const writes: OutboxWrite[] = [
      { kind: "createProject", project: project("c") },
      { kind: "updateProject", project: project("a", "renamed"), baseVersion: 1 },
      { kind: "deleteProject", project: project("b") },
      { kind: "sendMessage", message: message("m", "a") },
    ];
    const rows = withPendingWrites(server, writes, (write) => write.kind !== "sendMessage");
    expect(rows.map((row) => [row.id, row.name])).toEqual([
      ["a", "renamed"],
      ["c", "c"],
    ]);
    expect(withPendingWrites(server, [], () => true)).toBe(server);
  });

  test("a pending write the server already holds keeps the server's row", () => {
    const stored = { ...message("m", "a"), createdAt: "2026-11-30T00:00:01.000Z" };
    const rows = withPendingWrites(
      [stored],
      [{ kind: "sendMessage", message: message("m", "a") }],
      () => true,
    );
    expect(rows).toEqual([stored]);
  });
});
