import { randomUUID } from "node:crypto";
import {
  createMessageBodySchema,
  listMessagesQuerySchema,
  MESSAGES_PAGE_MAX,
  messageSchema,
  textParts,
  updateProjectBodySchema,
} from "@tandem/shared";
import { describe, expect, test } from "vitest";

/** Edges of the zod contract in @tandem/shared that the API tests do not reach one by one. */
describe("the shared contract", () => {
  test("a page is as long as the maximum unless a limit is given, and query strings are coerced", () => {
    expect(listMessagesQuerySchema.parse({})).toEqual({ limit: MESSAGES_PAGE_MAX });
    expect(listMessagesQuerySchema.parse({ limit: "25" })).toEqual({ limit: 25 });
    expect(listMessagesQuerySchema.safeParse({ limit: String(MESSAGES_PAGE_MAX + 1) }).success).toBe(false);
    expect(listMessagesQuerySchema.safeParse({ limit: "" }).success).toBe(false);
  });

  test("message content is kept as typed, surrounding whitespace included", () => {
    const body = createMessageBodySchema.parse({
      id: randomUUID(),
      projectId: randomUUID(),
      content: "  indented\n",
    });
    expect(body).toMatchObject({ content: "  indented\n", role: "user" });
  });

  test("a project update needs something to change besides the version", () => {
    expect(updateProjectBodySchema.safeParse({ version: 1 }).success).toBe(false);
    expect(updateProjectBodySchema.parse({ status: "archived", version: 3 })).toEqual({
      status: "archived",
      version: 3,
    });
  });

  test("textParts wraps plain text as the one text part", () => {
    expect(textParts("hi")).toEqual([{ type: "text", text: "hi" }]);
  });

  test("a message answer needs ISO timestamps with an offset", () => {
    const message = {
      id: randomUUID(),
      projectId: randomUUID(),
      parentId: randomUUID(),
      role: "assistant",
      content: "",
      parts: [],
      status: "streaming",
      error: null,
      createdAt: "2026-01-02T03:04:05.678Z",
      updatedAt: "2026-01-02T03:04:05.678+02:00",
      version: 1,
    };
    expect(messageSchema.safeParse(message).success).toBe(true);
    expect(messageSchema.safeParse({ ...message, createdAt: "2026-01-02 03:04:05" }).success).toBe(false);
  });
});
