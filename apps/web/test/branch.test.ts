import type { Message } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { branchOf } from "../src/features/chat/branch.ts";

const projectId = "0190a000-0000-7000-8000-000000000001";
let clock = 0;

/** A message made now (each one later than the one before). */
function message(id: string, parentId: string | null, role: Message["role"] = "user"): Message {
  const at = new Date(Date.UTC(2026, 10, 30, 9, 0, clock++)).toISOString();
  return {
    id,
    projectId,
    parentId,
    role,
    content: id,
    parts: [],
    status: "complete",
    error: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

const ids = (rows: Message[]) => rows.map((row) => row.id);

describe("branchOf", () => {
  // u1 → r1 → u2 → r2a, r2b (regenerated); u2 edited as u2b → r3
  const u1 = message("u1", null);
  const r1 = message("r1", "u1", "assistant");
  const u2 = message("u2", "r1");
  const r2a = message("r2a", "u2", "assistant");
  const r2b = message("r2b", "u2", "assistant");
  const u2b = message("u2b", "r1");
  const r3 = message("r3", "u2b", "assistant");
  const all = [r3, u1, r2b, u2, r1, u2b, r2a];

  test("with no choice, the branch ends at the newest message", () => {
    const branch = branchOf(all, undefined);
    expect(ids(branch.messages)).toEqual(["u1", "r1", "u2b", "r3"]);
    expect(branch.versions.get("u2b")).toEqual({ index: 2, count: 2, previous: "u2", next: undefined });
    expect(branch.versions.has("r3")).toBe(false);
  });

  test("a chosen version shows its branch, taking the newest version below it", () => {
    const branch = branchOf(all, "u2");
    expect(ids(branch.messages)).toEqual(["u1", "r1", "u2", "r2b"]);
    expect(branch.versions.get("u2")).toEqual({ index: 1, count: 2, previous: undefined, next: "u2b" });
    expect(branch.versions.get("r2b")).toEqual({ index: 2, count: 2, previous: "r2a", next: undefined });
    expect(ids(branchOf(all, "r2a").messages)).toEqual(["u1", "r1", "u2", "r2a"]);
  });

  test("a choice that is not loaded falls back to the newest message", () => {
    expect(ids(branchOf(all, "gone").messages)).toEqual(["u1", "r1", "u2b", "r3"]);
  });

  test("a window that does not reach the root shows the end of the branch", () => {
    expect(ids(branchOf([r2a, u2, r2b, u2b, r3], "r2a").messages)).toEqual(["u2", "r2a"]);
  });

  test("a message sent before the one above was answered shows after that answer", () => {
    const q1 = message("q1", null);
    const q2 = message("q2", "q1");
    const a1 = message("a1", "q1", "assistant");
    expect(ids(branchOf([q1, q2, a1], "q2", { unsent: new Set(["q2"]) }).messages)).toEqual([
      "q1",
      "a1",
      "q2",
    ]);
  });

  describe("plain sends the server has not placed yet", () => {
    // Someone else's turn (o, its reply ro) arrived after mine (m) was sent after r1.
    const s1 = message("s1", null);
    const sr1 = message("sr1", "s1", "assistant");
    const m = message("m", "sr1");
    const o = message("o", "sr1");
    const ro = message("ro", "o", "assistant");

    test("show at the end of the branch that goes on from the parent they name, not as versions", () => {
      const branch = branchOf([s1, sr1, m, o, ro], "m", { unsent: new Set(["m"]) });
      expect(ids(branch.messages)).toEqual(["s1", "sr1", "o", "ro", "m"]);
      expect(branch.versions.size).toBe(0);
      expect(branch.messages.at(-1)).toEqual({ ...m, parentId: "ro" });
      // Placed by the server, it is stored with that parent: the same branch.
      expect(ids(branchOf([s1, sr1, { ...m, parentId: "ro" }, o, ro], "m").messages)).toEqual(
        ids(branch.messages),
      );
    });

    test("go in the order they were made, each after the one before", () => {
      const m2 = message("m2", "m");
      const late = message("late", "sr1");
      const branch = branchOf([s1, sr1, m, m2, late], "m2", { unsent: new Set(["m", "m2"]) });
      expect(ids(branch.messages)).toEqual(["s1", "sr1", "late", "m", "m2"]);
      expect(branch.versions.size).toBe(0);
    });

    test("a first message sent while someone else's first arrived goes after theirs", () => {
      const mine = message("mine", null);
      const theirs = message("theirs", null);
      const branch = branchOf([mine, theirs], "mine", { unsent: new Set(["mine"]) });
      expect(ids(branch.messages)).toEqual(["theirs", "mine"]);
      expect(branch.versions.size).toBe(0);
    });

    test("a failed one shows at the end, and nothing unsent is placed after it", () => {
      const failed = message("failed", "sr1");
      const next = message("next", "sr1");
      const branch = branchOf([s1, sr1, o, ro, failed, next], "failed", {
        unsent: new Set(["next"]),
        failed: new Set(["failed"]),
      });
      expect(ids(branch.messages)).toEqual(["s1", "sr1", "o", "ro", "next", "failed"]);
      expect(branch.versions.size).toBe(0);
    });

    test("an edit is a version at once; a send after a parent not loaded stays where it names", () => {
      const edit = message("edit", "sr1");
      const branch = branchOf([s1, sr1, o, ro, edit], "edit", { unsent: new Set() });
      expect(branch.versions.get("edit")).toEqual({ index: 2, count: 2, previous: "o", next: undefined });
      const far = message("far", "not-loaded");
      expect(branchOf([far], "far", { unsent: new Set(["far"]) }).messages).toEqual([far]);
    });
  });

  test("no messages, no branch", () => {
    expect(branchOf([], "x")).toEqual({ messages: [], versions: new Map() });
  });
});
