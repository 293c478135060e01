import { type Message, textParts } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { messagesCollection } from "../../collections/messages.ts";
import { newId } from "../../lib/ids.ts";
import { chooseBranch } from "./useBranchAnchor.ts";

/**
 * Sends a message after `parentId` (the last message of the branch on screen; null for
 * a first message): it shows in the chat at once, pending until the server has it, and
 * the branch on screen runs through it. The server puts it after the newest message of
 * the branch going on from `parentId` when others got there first (the chat shows it
 * there meanwhile), so it never becomes a version of someone else's message.
 */
export function sendMessage(projectId: string, content: string, parentId: string | null): string {
  return insertUserMessage(projectId, content, parentId);
}

/**
 * Edit: the new text is a new version of the message (beside it, the same parent), then
 * its reply. The send names the message it edits (`edits`): only that makes a version.
 */
export function editMessage(message: Message, content: string): string {
  return insertUserMessage(message.projectId, content, message.parentId, message.id);
}

function insertUserMessage(projectId: string, content: string, parentId: string | null, edits?: string) {
  const now = new Date().toISOString();
  const id = newId();
  const row: Message = {
    id,
    projectId,
    parentId,
    role: "user",
    content,
    parts: textParts(content),
    status: "complete",
    error: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  messagesCollection(projectId).insert(row, edits === undefined ? undefined : { metadata: { edits } });
  chooseBranch(projectId, id);
  return id;
}

/**
 * Regenerate: another reply to the same user message, as a new version beside `reply`.
 * It goes through the outbox like a send (offline too), and shows at once as waiting.
 */
export function regenerateReply(reply: Message): string | undefined {
  if (reply.parentId === null) return undefined;
  const now = new Date().toISOString();
  const id = newId();
  messagesCollection(reply.projectId).insert({
    id,
    projectId: reply.projectId,
    parentId: reply.parentId,
    role: "assistant",
    content: "",
    parts: [],
    status: "streaming",
    error: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  chooseBranch(reply.projectId, id);
  return id;
}

/** Sends a refused message again with the same id: the server keeps one copy whatever happened before. */
export function retryMessage(write: FailedWrite): void {
  forgetFailedWrite(write.key);
  const message = write.row as Message;
  const messages = messagesCollection(write.projectId);
  const edits = write.edits === undefined ? undefined : { metadata: { edits: write.edits } };
  if (!messages.has(message.id)) messages.insert(message, edits);
}
