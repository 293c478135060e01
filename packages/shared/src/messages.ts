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
 * Where a new user message goes in the project's message tree (`POST /api/chat`'s
 * `message`, and `POST /api/messages`):
 * - a plain send names `parentId`, the last message of the branch the client shows (null:
 *   it showed none). The server puts it after that message if nothing follows it yet;
 *   otherwise after the newest message of the branch that goes on from it (its newest
 *   reply or follow-up, down to the end), never beside what is there: two people sending
 *   at the same moment, or a send queued offline while others went on, land one after
 *   the other. `parentId` left out: after the project's newest message.
 * - an edit names `edits`, the user message it is a new version of: it goes beside that
 *   message (the same parent), and the chat shows the two as versions. Only an edit
 *   makes a version. `parentId` is then best left out; given, it must be the edited
 *   message's own parent (anything else is 400 at `parentId`). `edits` must be a user
 *   message of the project, other than the message itself (400 at `edits`).
 */
export const messagePlacement = {
  /** Where the client's branch ended (null: before the first message); left out, the project's newest. */
  parentId: z.optional(z.nullable(idSchema)),
  /** The user message this one is a new version of (an edit). */
  edits: z.optional(idSchema),
};

/** An edit is a new message: it cannot name itself. */
export const notItsOwnEdit = z.refine<{ id: string; edits?: string | undefined }>(
  (message) => message.edits === undefined || message.edits !== message.id,
  { error: "must name another message than this one's id", path: ["edits"] },
);

/**
 * Clients post only their own turns: assistant messages are written by the server's
 * generation, and a `system` message would let any member steer the model for everyone.
 * The message is placed as `messagePlacement` says; no reply is started.
 */
export const createMessageBodySchema = z
  .strictObject({
    id: idSchema,
    projectId: idSchema,
    ...messagePlacement,
    role: z._default(z.enum(["user"], { error: 'must be "user"' }), "user"),
    content: messageContentSchema,
    parts: z.optional(z.array(messagePartSchema)),
  })
  .check(notItsOwnEdit);
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
