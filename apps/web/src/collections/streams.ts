import type { MessageStatus } from "@tandem/shared";
import { createCollection, localOnlyCollectionOptions } from "@tanstack/react-db";

/**
 * Replies being written, as this browser sees them. Streamed text lands here, not in
 * `messages`: a direct write to `messages` waits while any of its transactions
 * persists (a message being sent), and tokens must not freeze meanwhile. The chat view
 * shows a reply's stream over its stored row; when the reply ends, its final row goes
 * into `messages` and the stream is removed.
 */
export interface ReplyStream {
  id: string;
  projectId: string;
  content: string;
  status: MessageStatus;
  error: string | null;
}

export const streamsCollection = createCollection(
  localOnlyCollectionOptions<ReplyStream, string>({
    id: "streams",
    getKey: (stream) => stream.id,
  }),
);
