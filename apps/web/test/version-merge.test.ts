import { describe, expect, test } from "vitest";
import { takesOver } from "../src/lib/version-merge.ts";

const row = (version: number) => ({ id: "r", version });

describe("the version merge", () => {
  test("a row never goes back to an older version", () => {
    expect(takesOver(row(3), row(2), false)).toBe(false);
    expect(takesOver(row(3), row(2), true)).toBe(false);
  });

  test("a newer row, or a row not there yet, goes in", () => {
    expect(takesOver(row(3), row(4), false)).toBe(true);
    expect(takesOver(undefined, row(1), false)).toBe(true);
  });

  test("the same version again goes in only when it confirms this browser's own write", () => {
    expect(takesOver(row(3), row(3), false)).toBe(false);
    expect(takesOver(row(3), row(3), true)).toBe(true);
  });

  test("the same version that differs is the server's copy of a row made here: it goes in", () => {
    const made = { id: "m", version: 1, parentId: "a", createdAt: "2026-11-30T09:00:00.000Z" };
    const stored = { ...made, parentId: "b", createdAt: "2026-11-30T09:00:01.000Z" };
    expect(takesOver(made, stored, false)).toBe(true);
    expect(takesOver(stored, { ...stored }, false)).toBe(false);
  });

  test("applied in any order, the newest version wins", () => {
    const versions = [5, 1, 4, 2, 3, 5, 2];
    let current: { id: string; version: number } | undefined;
    for (const version of versions) if (takesOver(current, row(version), false)) current = row(version);
    expect(current?.version).toBe(5);
  });
});
