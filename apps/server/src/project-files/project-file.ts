import type { MessageRow, ProjectRow } from "@tandem/db/schema";
import {
  type ErrorDetail,
  type MessagePart,
  type MessageRole,
  type MessageStatus,
  PROJECT_FILE_FORMAT,
  PROJECT_FILE_VERSION,
  type ProjectFile,
  type ProjectFileMessage,
  textParts,
} from "@tandem/shared";
import { INTERRUPTED_ERROR, replyParts } from "../assistant/generation-sql.ts";
import { toMessage } from "../rows.ts";
import { treeProblems } from "./message-tree.ts";

/** A project and its messages (oldest first, every branch) as the JSON file. */
export function toProjectFile(
  project: ProjectRow,
  rows: readonly MessageRow[],
  exportedAt: Date,
): ProjectFile {
  return {
    format: PROJECT_FILE_FORMAT,
    version: PROJECT_FILE_VERSION,
    exportedAt: exportedAt.toISOString(),
    project: {
      name: project.name,
      instructions: project.instructions,
      createdAt: project.createdAt.toISOString(),
    },
    // The wire message without what belongs to this project and this database.
    messages: rows.map((row) => {
      const { projectId: _project, updatedAt: _updated, version: _version, ...message } = toMessage(row);
      return message as ProjectFileMessage;
    }),
  };
}

/** A message of an imported file as it is stored in the new project. */
export interface ImportedMessage {
  id: string;
  /** The new id of the message it follows. */
  parentId: string | null;
  role: MessageRole;
  content: string;
  parts: MessagePart[];
  status: Exclude<MessageStatus, "streaming">;
  error: string | null;
  /** Its time in the file, to the millisecond. */
  createdAt: Date;
  /**
   * Microseconds to add to `createdAt`: messages of one millisecond keep the file's order
   * (times on the wire are milliseconds, stored ones microseconds, and the new ids are
   * random, so the time alone must order them).
   */
  micros: number;
}

/**
 * What is wrong with a file's messages besides their fields: the tree (ids, parents,
 * cycles), and a message older than the one it follows. Empty when it can be imported.
 */
export function fileProblems(file: ProjectFile): ErrorDetail[] {
  const tree = treeProblems(file.messages);
  if (tree.length > 0) return tree;
  const timeOf = new Map(file.messages.map((message) => [message.id, Date.parse(message.createdAt)]));
  return file.messages.flatMap((message, i) => {
    const parentTime = message.parentId === null ? undefined : timeOf.get(message.parentId);
    return parentTime !== undefined && parentTime > Date.parse(message.createdAt)
      ? [{ path: `messages.${i}.createdAt`, message: "is before the time of the message it follows" }]
      : [];
  });
}

/**
 * The file's messages as the new project stores them, in the order they are written:
 * oldest first, every message after the one it follows. New ids (from `newId`), parents
 * mapped to them; a reply that was still being written is stored as cut off. The file
 * must have no problems (`fileProblems`).
 */
export function importedMessages(file: ProjectFile, newId: () => string): ImportedMessage[] {
  const sorted = file.messages
    .map((message, index) => ({ message, index, time: Date.parse(message.createdAt) }))
    .sort((a, b) => a.time - b.time || a.index - b.index);
  const byId = new Map(sorted.map((entry) => [entry.message.id, entry]));

  // Parents first: a parent of the same millisecond listed after its child moves before it.
  const ordered: typeof sorted = [];
  const placed = new Set<string>();
  for (const entry of sorted) {
    const waiting: typeof sorted = [];
    for (let at: typeof entry | undefined = entry; at && !placed.has(at.message.id); ) {
      waiting.push(at);
      placed.add(at.message.id);
      at = at.message.parentId === null ? undefined : byId.get(at.message.parentId);
    }
    ordered.push(...waiting.reverse());
  }

  const ids = new Map(ordered.map(({ message }) => [message.id, newId()]));
  let previous = Number.NEGATIVE_INFINITY;
  return ordered.map(({ message, time }) => {
    // Strictly later than the message before, in microseconds.
    const at = Math.max(time * 1000, previous + 1);
    previous = at;
    const streaming = message.status === "streaming";
    const status = message.status === "streaming" ? "interrupted" : message.status;
    return {
      id: ids.get(message.id) ?? newId(),
      parentId: message.parentId === null ? null : (ids.get(message.parentId) ?? null),
      role: message.role,
      content: message.content,
      parts:
        message.parts ??
        (message.role === "assistant" ? replyParts(message.content) : textParts(message.content)),
      status,
      error: message.error ?? (streaming ? INTERRUPTED_ERROR : null),
      createdAt: new Date(Math.floor(at / 1000)),
      micros: at % 1000,
    };
  });
}
