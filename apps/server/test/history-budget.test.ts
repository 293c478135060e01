import type { MessageRow } from "@tandem/db/schema";
import { describe, expect, test } from "vitest";
import { withinBudget } from "../src/assistant/history-budget.ts";

const rows = (...lengths: number[]) =>
  lengths.map((length, i) => ({ id: String(i), content: "x".repeat(length) }) as MessageRow);
const ids = (history: MessageRow[]) => history.map((row) => row.id);

describe("the history sent to the model", () => {
  test("is all of it when it fits", () => {
    expect(ids(withinBudget(rows(10, 20, 30), 60))).toEqual(["0", "1", "2"]);
  });

  test("is the newest messages that fit, oldest first, never skipping one", () => {
    expect(ids(withinBudget(rows(10, 50, 20, 30), 60))).toEqual(["2", "3"]);
  });

  test("always holds the message being answered, however long", () => {
    expect(ids(withinBudget(rows(10, 500), 60))).toEqual(["1"]);
    expect(withinBudget([], 60)).toEqual([]);
  });
});
