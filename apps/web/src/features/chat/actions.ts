import { type Message, textParts } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { messagesCollection } from "../../collections/messages.ts";
import { newId } from "../../lib/ids.ts";
import { chooseBranch } from "./useBranchAnchor.ts";

/**
 * Sends a message after `parentId` (the last message of the branch on screen; null for
 * a first message): it shows in the chat at once, pending until the server has it, and
 * the branch on screen runs through it.
 */
export function sendMessage(projectId: string, content: string, parentId: string | null): string {
  const now = new Date().toISOString();
  const id = newId();
  messagesCollection(projectId).insert({
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
  });
  chooseBranch(projectId, id);
  return id;
}

/** Edit: the new text is a new version of the message (beside it, the same parent), then its reply. */
export function editMessage(message: Message, content: string): string {
  return sendMessage(message.projectId, content, message.parentId);
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
  if (!messages.has(message.id)) messages.insert(message);
}
