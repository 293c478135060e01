import type { MessageRow, ProjectRow, RunningProcessRow } from "@tandem/db/schema";
import type { Message, Project } from "@tandem/shared";

/** Stored rows as the API answers them: camelCase, ISO timestamps. */
export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    instructions: row.instructions,
    ownerId: row.ownerId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    projectId: row.projectId,
    parentId: row.parentId,
    role: row.role,
    content: row.content,
    parts: row.parts,
    status: row.status,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

/** A stored message back from its wire shape (a change event's row). */
export function fromMessage(message: Message): MessageRow {
  return { ...message, createdAt: new Date(message.createdAt), updatedAt: new Date(message.updatedAt) };
}

/** A running process as the change feed carries it (`entity: "running_process"`). */
export interface RunningProcess {
  id: string;
  projectId: string;
  messageId: string;
  status: RunningProcessRow["status"];
  model: string;
  instanceId: string;
  heartbeatAt: string;
  startedAt: string;
  finishedAt: string | null;
  usage: Record<string, unknown> | null;
  error: string | null;
}

export function toRunningProcess(row: RunningProcessRow): RunningProcess {
  return {
    id: row.id,
    projectId: row.projectId,
    messageId: row.messageId,
    status: row.status,
    model: row.model,
    instanceId: row.instanceId,
    heartbeatAt: row.heartbeatAt.toISOString(),
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    usage: row.usage,
    error: row.error,
  };
}
