import type { MessageRow, ProjectRow } from "@tandem/db/schema";
import type { Message, Project } from "@tandem/shared";

/** Stored rows as the API answers them: camelCase, ISO timestamps. */
export function toProject(row: ProjectRow): Project {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    projectId: row.projectId,
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
