import { type Message, textParts } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { messagesCollection } from "../../collections/messages.ts";
import { newId } from "../../lib/ids.ts";

/**
 * Sends a message after `parentId` (the last message of the branch on screen; null for
 * a first message): it shows in the chat at once, pending until the server has it.
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
  return id;
}

/** Sends a refused message again with the same id: the server keeps one copy whatever happened before. */
export function retryMessage(write: FailedWrite): void {
  forgetFailedWrite(write.key);
  const message = write.row as Message;
  const messages = messagesCollection(write.projectId);
  if (!messages.has(message.id)) messages.insert(message);
}
