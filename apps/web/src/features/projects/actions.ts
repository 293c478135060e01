import type { Project } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { newId } from "../../lib/ids.ts";
import { enqueue } from "../../sync/outbox.ts";

/** Creates a project; it shows at once and reaches the server through the outbox. */
export function createProject(name: string): string {
  const now = new Date().toISOString();
  const id = newId();
  void enqueue({
    kind: "createProject",
    project: { id, name, status: "active", createdAt: now, updatedAt: now, version: 1 },
  });
  return id;
}

export function renameProject(project: Project, name: string): void {
  forgetFailedWrite(`project:update:${project.id}`);
  void enqueue({ kind: "updateProject", project: { ...project, name }, baseVersion: project.version });
}

export function deleteProject(project: Project): void {
  forgetFailedWrite(`project:delete:${project.id}`);
  void enqueue({ kind: "deleteProject", project });
}

/** Makes a refused project write again, as the user made it. */
export function retryProjectWrite(write: FailedWrite): void {
  forgetFailedWrite(write.key);
  const row = write.row as Project;
  if (write.op === "insert") {
    if (!projectsCollection.has(row.id)) void enqueue({ kind: "createProject", project: row });
    return;
  }
  const current = projectsCollection.get(row.id);
  if (!current) return;
  if (write.op === "update") renameProject(current, row.name);
  else deleteProject(current);
}
