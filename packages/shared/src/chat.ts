import { z } from "zod/mini";
import { idSchema } from "./ids.ts";
import {
  type Message,
  messageContentSchema,
  messagePartSchema,
  messagePlacement,
  notItsOwnEdit,
} from "./messages.ts";

/** The text of a message's text parts, joined: what a message "says" when sent as parts. */
export function textOfParts(parts: ReadonlyArray<{ type: string; text?: unknown }>): string {
  return parts
    .filter((part) => part.type === "text" && typeof part.text === "string")
    .map((part) => part.text as string)
    .join("");
}

/**
 * `POST /api/chat`, one of:
 * - `message`: store the user's message (idempotent on its id), placed as `messagePlacement`
 *   says (a plain send, or an edit with `edits`), and start the assistant's reply.
 *   The message is given as `content`, as AI SDK `parts`, or both.
 * - `regenerate`: another reply to the user message `parentId`, as a new version beside
 *   the ones it has; `id` is the new reply's (made by the client, so a retry is safe).
 */
export const chatRequestSchema = z
  .strictObject({
    projectId: idSchema,
    message: z.optional(
      z
        .strictObject({
          id: idSchema,
          ...messagePlacement,
          content: z.optional(messageContentSchema),
          parts: z.optional(z.array(messagePartSchema)),
        })
        .check(
          z.refine(
            (message) => message.content !== undefined || textOfParts(message.parts ?? []).trim() !== "",
            { error: "give content, or parts with some text" },
          ),
          notItsOwnEdit,
        ),
    ),
    regenerate: z.optional(z.strictObject({ id: idSchema, parentId: idSchema })),
  })
  .check(
    z.refine((request) => (request.message === undefined) !== (request.regenerate === undefined), {
      error: "give either message or regenerate",
      path: ["message"],
      // Said also when another field fails (a body with no fields names both).
      when: ({ value }) => typeof value === "object" && value !== null,
    }),
  );
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/**
 * The custom data chunk Tandem adds to the AI SDK UI message stream: a stored message
 * row (the user's message as stored, the assistant's row when the reply starts, and its
 * final row when it ends). Transient: AI SDK clients do not add it to the message parts.
 */
export const MESSAGE_DATA_CHUNK = "data-message";
export interface MessageDataChunk {
  type: typeof MESSAGE_DATA_CHUNK;
  id: string;
  data: Message;
  transient: true;
}
