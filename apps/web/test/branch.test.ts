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
    expect(ids(branchOf([q1, q2, a1], "q2").messages)).toEqual(["q1", "a1", "q2"]);
  });

  test("no messages, no branch", () => {
    expect(branchOf([], "x")).toEqual({ messages: [], versions: new Map() });
  });
});
