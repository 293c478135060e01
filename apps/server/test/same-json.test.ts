import { sameJson } from "@tandem/shared";
import { describe, expect, test } from "vitest";

describe("sameJson", () => {
  test.each([
    ["equal scalars", "a", "a"],
    ["null and null", null, null],
    [
      "objects with keys in another order",
      { a: 1, b: { c: [1, 2], d: null } },
      { b: { d: null, c: [1, 2] }, a: 1 },
    ],
    ["arrays of objects", [{ type: "text", text: "x" }], [{ text: "x", type: "text" }]],
    ["a key set to undefined and a missing key", { a: 1, b: undefined }, { a: 1 }],
    ["empty objects", {}, {}],
  ])("%s are the same", (_, a, b) => {
    expect(sameJson(a, b)).toBe(true);
    expect(sameJson(b, a)).toBe(true);
  });

  test.each([
    ["different scalars", 1, 2],
    ["a number and its string", 1, "1"],
    ["null and an empty object", null, {}],
    ["an array and an object with index keys", [1], { 0: 1 }],
    ["arrays in another order", [1, 2], [2, 1]],
    ["a shorter array", [1, 2], [1]],
    ["an extra key", { a: 1 }, { a: 1, b: 2 }],
    ["a null value and a missing key", { a: 1, b: null }, { a: 1 }],
    ["a difference deep down", { a: [{ b: { c: 1 } }] }, { a: [{ b: { c: 2 } }] }],
    ["the same key count but other keys", { a: 1 }, { b: 1 }],
  ])("%s are not the same", (_, a, b) => {
    expect(sameJson(a, b)).toBe(false);
    expect(sameJson(b, a)).toBe(false);
  });
});
