import { MESSAGES_PAGE_MAX, type Message } from "@tandem/shared";
import type { LoadSubsetOptions } from "@tanstack/db";
import { describe, expect, test } from "vitest";
import { byCreatedAt, fromHeld, windowQuery } from "../src/collections/messages.ts";

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

  test("a chat held at an older message: its bound and the cursor, the lower wins; ties as before", () => {
    const bound = "2026-11-30T05:00:00.000Z";
    const and = (...args: object[]) => ({ type: "func", name: "and", args });
    expect(windowOf({ orderBy: newestFirst, limit: 101, where: compare("lt", bound) })).toEqual({
      createdBefore: bound,
      limit: 101,
    });
    expect(
      windowOf({
        orderBy: newestFirst,
        limit: 100,
        where: compare("lt", bound),
        cursor: { whereFrom: compare("lt", at), whereCurrent: compare("eq", at) },
      }),
    ).toEqual({ createdBefore: at, limit: 100 });
    expect(windowOf({ where: and(compare("lt", bound), compare("eq", at)) })).toEqual({
      createdAt: at,
      limit: MESSAGES_PAGE_MAX,
    });
  });

  test("a demand without a limit gets one window, never the whole history", () => {
    expect(windowOf({})).toEqual({ newest: "true", limit: 200 });
  });

  test("a filter the API cannot serve fails loudly", () => {
    expect(() => windowOf({ where: compare("gt", at) })).toThrow(/cannot be loaded/);
  });
});

describe("windows answered from the stretch read around a message", () => {
  const row = (i: number) =>
    ({ id: `m${i}`, createdAt: new Date(Date.UTC(2026, 10, 30, 0, 0, 0, i)).toISOString() }) as Message;
  const rows = Array.from({ length: 10 }, (_, i) => row(i + 10));
  const time = (i: number) => row(i).createdAt;

  test("a page below a time inside it, when the stretch holds the whole page", () => {
    const held = { rows, fromStart: false };
    expect(fromHeld(held, { createdBefore: time(18), limit: 3 })?.map((r) => r.id)).toEqual([
      "m15",
      "m16",
      "m17",
    ]);
    // Its oldest row is the stretch's first: that millisecond's ties may reach before it.
    expect(fromHeld(held, { createdBefore: time(18), limit: 8 })).toBeUndefined();
    // Past the stretch's end: rows after it may exist.
    expect(fromHeld(held, { createdBefore: time(25), limit: 3 })).toBeUndefined();
  });

  test("a stretch that starts the history answers short pages and its first ties", () => {
    const held = { rows, fromStart: true };
    expect(fromHeld(held, { createdBefore: time(12), limit: 5 })?.map((r) => r.id)).toEqual(["m10", "m11"]);
    expect(fromHeld(held, { createdAt: time(10), limit: 1000 })?.map((r) => r.id)).toEqual(["m10"]);
  });

  test("ties inside the stretch, not at its ends", () => {
    const held = { rows, fromStart: false };
    expect(fromHeld(held, { createdAt: time(14), limit: 1000 })?.map((r) => r.id)).toEqual(["m14"]);
    expect(fromHeld(held, { createdAt: time(10), limit: 1000 })).toBeUndefined();
    expect(fromHeld(held, { createdAt: time(19), limit: 1000 })).toBeUndefined();
  });

  test("nothing held, or another kind of window: read as usual", () => {
    expect(fromHeld(undefined, { createdBefore: time(18), limit: 3 })).toBeUndefined();
    expect(fromHeld({ rows, fromStart: true }, { newest: "true", limit: 3 })).toBeUndefined();
  });
});
