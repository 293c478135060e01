import { MESSAGES_PAGE_MAX, type Message, messageSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import { BTreeIndex, createCollection } from "@tanstack/react-db";
import { ApiRequestError, api, sendSnapshot } from "../lib/api.ts";
import { enqueue, outboxLoaded, withPendingMessages } from "../lib/outbox.ts";
import { queryClient } from "../lib/query-client.ts";
import { loadScope, messagesScope, parseMessage } from "../lib/snapshots.ts";

/**
 * Every message of a project, oldest first, read page by page. The snapshot's feed
 * position is the first page's: every change up to it is in every page.
 */
async function fetchProjectMessages(
  projectId: string,
): Promise<{ rows: Message[]; position: string | undefined }> {
  const all: Message[] = [];
  let position: string | undefined;
  for (;;) {
    const after = all.at(-1)?.id;
    let page: { rows: Message[]; position: string | undefined };
    try {
      page = await sendSnapshot(() =>
        api.projects[":id"].messages.$get({
          param: { id: projectId },
          query: { limit: String(MESSAGES_PAGE_MAX), ...(after ? { after } : {}) },
        }),
      );
    } catch (error) {
      // A project the server does not know (not saved, or deleted) has no messages.
      if (error instanceof ApiRequestError && error.status === 404) return { rows: [], position: undefined };
      throw error;
    }
    position ??= page.position;
    all.push(...page.rows);
    if (page.rows.length < MESSAGES_PAGE_MAX) return { rows: all, position };
  }
}

function createMessagesCollection(projectId: string) {
  const collection = createCollection(
    queryCollectionOptions({
      id: `messages:${projectId}`,
      // Not under ["projects"]: a direct write to a query collection patches every cached
      // query its key prefixes, so a project write would land in the messages.
      queryKey: ["messages", projectId],
      queryFn: async () => {
        await outboxLoaded();
        const rows = await loadScope(
          messagesScope(projectId),
          parseMessage,
          () => fetchProjectMessages(projectId),
          () => void byProject.get(projectId)?.utils.refetch(),
        );
        return withPendingMessages(projectId, rows);
      },
      queryClient,
      getKey: (message: Message) => message.id,
      schema: messageSchema,
      // A sent message goes to the durable outbox (lib/outbox.ts), which sends it through
      // POST /api/chat; the handler waits only for the outbox's disk write.
      onInsert: async ({ transaction }) => {
        await Promise.all(
          transaction.mutations.map((mutation) =>
            enqueue({ kind: "sendMessage", message: mutation.modified }),
          ),
        );
        return { refetch: false };
      },
    }),
  );
  // The chat reads the newest messages by time: an index keeps that cheap at any length.
  collection.createIndex((row) => row.createdAt, { indexType: BTreeIndex });
  return collection;
}

export type MessagesCollection = ReturnType<typeof createMessagesCollection>;

/** One collection per project, made when the project is first opened: no project loads another's chat. */
const byProject = new Map<string, MessagesCollection>();

export function messagesCollection(projectId: string): MessagesCollection {
  let collection = byProject.get(projectId);
  if (!collection) {
    collection = createMessagesCollection(projectId);
    byProject.set(projectId, collection);
  }
  return collection;
}

export function loadedMessagesCollections(): MessagesCollection[] {
  return [...byProject.values()];
}

/**
 * Forgets a deleted project's messages. The collection itself is left to garbage-collect
 * once its last live query unsubscribes (cleaning it up under a live query is an error).
 */
export function dropMessagesCollection(projectId: string): void {
  byProject.delete(projectId);
}
