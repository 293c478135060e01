import { z } from "zod/mini";
import { idSchema, noNul, timestampSchema, versionSchema } from "./ids.ts";
import { MESSAGE_CONTENT_MAX, MESSAGES_PAGE_MAX } from "./limits.ts";

export const messageRoles = ["user", "assistant", "system"] as const;
export const messageRoleSchema = z.enum(messageRoles);
export type MessageRole = z.infer<typeof messageRoleSchema>;

export const messageStatuses = ["complete", "streaming", "stopped", "error", "interrupted"] as const;
export const messageStatusSchema = z.enum(messageStatuses);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

/**
 * One part of an AI SDK UIMessage. The AI SDK owns the full union (text, reasoning,
 * tool calls, files, ...); we require its discriminant and keep the rest as sent.
 */
export const messagePartSchema = z.looseObject({ type: z.string().check(z.minLength(1)) });
export type MessagePart = z.infer<typeof messagePartSchema>;

export const messageContentSchema = z.string().check(
  z.maxLength(MESSAGE_CONTENT_MAX, { error: `must be at most ${MESSAGE_CONTENT_MAX} characters` }),
  z.refine((text) => text.trim().length > 0, { error: "must not be empty" }),
  z.refine(noNul, { error: "must not contain NUL characters" }),
);

/**
 * A message as the API answers it. Messages form a tree: `parentId` is the message this
 * one follows on its branch (null for the first); versions of a turn are siblings.
 */
export const messageSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  parentId: z.nullable(idSchema),
  role: messageRoleSchema,
  content: z.string(),
  parts: z.array(messagePartSchema),
  status: messageStatusSchema,
  error: z.nullable(z.string()),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  version: versionSchema,
});
export type Message = z.infer<typeof messageSchema>;

/** A page of messages, as `GET /api/projects/:id/messages` answers it. */
export const messageListSchema = z.array(messageSchema);

/**
 * Clients post only their own turns: assistant messages are written by the server's
 * generation, and a `system` message would let any member steer the model for everyone.
 */
export const createMessageBodySchema = z.strictObject({
  id: idSchema,
  projectId: idSchema,
  /** The message it follows (null: the first); left out, the project's newest message. */
  parentId: z.optional(z.nullable(idSchema)),
  role: z._default(z.enum(["user"], { error: 'must be "user"' }), "user"),
  content: messageContentSchema,
  parts: z.optional(z.array(messagePartSchema)),
});
export type CreateMessageBody = z.input<typeof createMessageBodySchema>;

export const updateMessageBodySchema = z.strictObject({
  content: messageContentSchema,
  parts: z.optional(z.array(messagePartSchema)),
  version: versionSchema,
});
export type UpdateMessageBody = z.infer<typeof updateMessageBodySchema>;

/** The text parts a plain message is stored with when the client sends none. */
export function textParts(content: string): MessagePart[] {
  return [{ type: "text", text: content }];
}

/**
 * Reading a project's messages by window; every answer is oldest first. At most one of:
 * - nothing: the oldest `limit` (paging forward from the start);
 * - `after` / `before`: a message id, the `limit` messages just after / before it in
 *   `(createdAt, id)` order (the cursor is the message's own position);
 * - `newest`: the newest `limit`;
 * - `createdBefore`: the newest `limit` created before that time (a time cursor, the
 *   chat's next older window);
 * - `createdAt`: every message created within that millisecond (wire timestamps are
 *   milliseconds; the rows a window's last time ties with), at most `limit`;
 * - `around`: a message id, the window of `limit` messages centred on it (the message,
 *   half of the rest before it, the others after).
 */
export const listMessagesQuerySchema = z
  .strictObject({
    limit: z._default(
      z.coerce
        .number({ error: "must be a number" })
        .check(z.int({ error: "must be a whole number" }), z.gte(1), z.lte(MESSAGES_PAGE_MAX)),
      MESSAGES_PAGE_MAX,
    ),
    after: z.optional(idSchema),
    before: z.optional(idSchema),
    newest: z.optional(z.enum(["true"], { error: 'must be "true"' })),
    createdBefore: z.optional(timestampSchema),
    createdAt: z.optional(timestampSchema),
    around: z.optional(idSchema),
  })
  .check(
    z.refine(
      (query) =>
        [query.after, query.before, query.newest, query.createdBefore, query.createdAt, query.around].filter(
          (given) => given !== undefined,
        ).length <= 1,
      { error: "give at most one of after, before, newest, createdBefore, createdAt, around" },
    ),
  );
export type ListMessagesQuery = z.infer<typeof listMessagesQuerySchema>;
