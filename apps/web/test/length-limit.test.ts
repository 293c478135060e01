import { describe, expect, test } from "vitest";
import { describeLength, lengthStatus } from "../src/lib/length-limit.ts";

describe("a text's length against its limit", () => {
  test("says nothing far from the limit", () => {
    expect(lengthStatus(0, 100_000)).toEqual({ kind: "fine" });
    expect(lengthStatus(89_999, 100_000)).toEqual({ kind: "fine" });
    expect(describeLength(lengthStatus(10, 100_000))).toBe("");
  });

  test("counts near the limit, up to the limit itself", () => {
    expect(describeLength(lengthStatus(90_000, 100_000))).toBe("90,000 / 100,000 characters");
    expect(describeLength(lengthStatus(100_000, 100_000))).toBe("100,000 / 100,000 characters");
  });

  test("past the limit says by how much", () => {
    expect(lengthStatus(100_001, 100_000)).toMatchObject({ kind: "over", excess: 1 });
    expect(describeLength(lengthStatus(100_001, 100_000))).toBe(
      "Too long by 1 character (the most is 100,000)",
    );
    expect(describeLength(lengthStatus(2_000_000, 100_000))).toBe(
      "Too long by 1,900,000 characters (the most is 100,000)",
    );
  });
});
