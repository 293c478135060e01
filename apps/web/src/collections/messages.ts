import { MESSAGES_PAGE_MAX, type Message, messageSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import { createCollection } from "@tanstack/react-db";
import { ApiRequestError, api, send, sendSnapshot } from "../lib/api.ts";
import { queryClient } from "../lib/query-client.ts";
import { recordFailedWrite } from "./failed-writes.ts";
import { loadScope, messagesScope, parseMessage, syncMessage, syncMessageDeleted } from "./live-sync.ts";
import { projectCreateSettled } from "./project-creates.ts";
import { sendChatMessage } from "./replies.ts";

/**
 * Every message of a project, oldest first, read page by page. The snapshot's feed
 * position is the first page's: every change up to it is in every page.
 */
async function fetchProjectMessages(
  projectId: string,
): Promise<{ rows: Message[]; position: string | undefined }> {
  await projectCreateSettled(projectId);
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
  return createCollection(
    queryCollectionOptions({
      id: `messages:${projectId}`,
      // Not under ["projects"]: a direct write to a query collection patches every cached
      // query its key prefixes, so a project write would land in the messages.
      queryKey: ["messages", projectId],
      queryFn: () =>
        loadScope(
          messagesScope(projectId),
          parseMessage,
          () => fetchProjectMessages(projectId),
          () => void byProject.get(projectId)?.utils.refetch(),
        ),
      queryClient,
      getKey: (message: Message) => message.id,
      schema: messageSchema,

      onInsert: async ({ transaction }) => {
        for (const { modified: message } of transaction.mutations) {
          try {
            await projectCreateSettled(projectId);
            if (message.role === "user") {
              // The chat endpoint stores the message and starts the assistant's reply.
              await sendChatMessage(message);
            } else {
              const stored = await send(() =>
                api.messages.$post({
                  json: {
                    id: message.id,
                    projectId: message.projectId,
                    role: "system",
                    content: message.content,
                    parts: message.parts,
                  },
                }),
              );
              void syncMessage(stored, true);
            }
          } catch (error) {
            recordFailedWrite(
              { entity: "message", op: "insert", id: message.id, projectId, row: message },
              error,
            );
            throw error;
          }
        }
        return { refetch: false };
      },

      onUpdate: async ({ transaction }) => {
        for (const { original, modified } of transaction.mutations) {
          try {
            const stored = await send(() =>
              api.messages[":id"].$patch({
                param: { id: original.id },
                json: { content: modified.content, parts: modified.parts, version: original.version },
              }),
            );
            void syncMessage(stored, true);
          } catch (error) {
            if (error instanceof ApiRequestError && error.code === "version_conflict") {
              const current = messageSchema.safeParse(error.current);
              if (current.success) void syncMessage(current.data, true);
            }
            recordFailedWrite(
              { entity: "message", op: "update", id: original.id, projectId, row: modified },
              error,
            );
            throw error;
          }
        }
        return { refetch: false };
      },

      onDelete: async ({ transaction }) => {
        for (const { original } of transaction.mutations) {
          try {
            await send(() => api.messages[":id"].$delete({ param: { id: original.id } }));
          } catch (error) {
            if (!(error instanceof ApiRequestError && error.status === 404)) {
              recordFailedWrite(
                { entity: "message", op: "delete", id: original.id, projectId, row: original },
                error,
              );
              throw error;
            }
          }
          syncMessageDeleted(projectId, original.id);
        }
        return { refetch: false };
      },
    }),
  );
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

/**
 * Forgets a deleted project's messages. The collection itself is left to garbage-collect
 * once its last live query unsubscribes (cleaning it up under a live query is an error).
 */
export function loadedMessagesCollections(): MessagesCollection[] {
  return [...byProject.values()];
}

export function dropMessagesCollection(projectId: string): void {
  byProject.delete(projectId);
}
