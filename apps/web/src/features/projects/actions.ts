import { LOCAL_OWNER, type Project } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { newId } from "../../lib/ids.ts";

/** Creates a project; it shows at once and reaches the server through the outbox. */
export function createProject(name: string): string {
  const now = new Date().toISOString();
  const id = newId();
  // The maker owns it; the server's answer (written back by the outbox) carries the real owner.
  projectsCollection.insert({
    id,
    name,
    status: "active",
    ownerId: LOCAL_OWNER.id,
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  return id;
}

export function renameProject(project: Project, name: string): void {
  forgetFailedWrite(`project:update:${project.id}`);
  projectsCollection.update(project.id, (draft) => {
    draft.name = name;
  });
}

export function deleteProject(project: Project): void {
  forgetFailedWrite(`project:delete:${project.id}`);
  projectsCollection.delete(project.id);
}

/** Makes a refused project write again, as the user made it. */
export function retryProjectWrite(write: FailedWrite): void {
  forgetFailedWrite(write.key);
  const row = write.row as Project;
  if (write.op === "insert") {
    if (!projectsCollection.has(row.id)) projectsCollection.insert(row);
    return;
  }
  const current = projectsCollection.get(row.id);
  if (!current) return;
  if (write.op === "update") renameProject(current, row.name);
  else deleteProject(current);
}
