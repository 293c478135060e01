import { MESSAGES_PAGE_MAX } from "@tandem/shared";
import type { LoadSubsetOptions } from "@tanstack/db";
import { describe, expect, test } from "vitest";
import { byCreatedAt, windowQuery } from "../src/collections/messages.ts";

/** The expressions a live query over the messages hands its loader (`ctx.meta.loadSubsetOptions`). */
const createdAt = { type: "ref", path: ["createdAt"] };
const compare = (name: string, value: unknown) => ({
  type: "func",
  name,
  args: [createdAt, { type: "val", value }],
});
const newestFirst = [{ expression: createdAt, compareOptions: byCreatedAt }];
const at = "2026-11-30T01:02:03.456Z";

const windowOf = (options: object) => windowQuery(options as unknown as LoadSubsetOptions);

describe("the API window a demand on the messages asks for", () => {
  test("the chat's first page: the newest N", () => {
    expect(windowOf({ orderBy: newestFirst, limit: 101, offset: 0 })).toEqual({ newest: "true", limit: 101 });
  });

  test("the rows that tie with a window's last time: that millisecond, all of them", () => {
    expect(windowOf({ where: compare("eq", at) })).toEqual({ createdAt: at, limit: MESSAGES_PAGE_MAX });
  });

  test("the next older page: a time cursor, in the where or as the cursor", () => {
    expect(windowOf({ orderBy: newestFirst, limit: 100, where: compare("lt", at) })).toEqual({
      createdBefore: at,
      limit: 100,
    });
    expect(
      windowOf({
        orderBy: newestFirst,
        limit: 100,
        offset: 101,
        cursor: { whereFrom: compare("lt", at), whereCurrent: compare("eq", at) },
      }),
    ).toEqual({ createdBefore: at, limit: 100 });
  });

  test("a demand without a limit gets one window, never the whole history", () => {
    expect(windowOf({})).toEqual({ newest: "true", limit: 200 });
  });

  test("a filter the API cannot serve fails loudly", () => {
    expect(() => windowOf({ where: compare("gt", at) })).toThrow(/cannot be loaded/);
  });
});
