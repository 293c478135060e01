import type { Project } from "@tandem/shared";
import { type FailedWrite, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { trackProjectCreate } from "../../collections/project-creates.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { newId } from "../../lib/ids.ts";

/** Creates a project; it shows at once and is confirmed by the server in the background. */
export function createProject(name: string): string {
  const now = new Date().toISOString();
  const id = newId();
  insertProject({ id, name, status: "active", createdAt: now, updatedAt: now, version: 1 });
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

/** Sends a failed project write again, as the user made it. */
export function retryProjectWrite(write: FailedWrite): void {
  forgetFailedWrite(write.key);
  const row = write.row as Project;
  if (write.op === "insert") {
    if (!projectsCollection.has(row.id)) insertProject(row);
  } else if (write.op === "update") {
    if (projectsCollection.has(row.id)) {
      projectsCollection.update(row.id, (draft) => {
        draft.name = row.name;
        draft.status = row.status;
      });
    }
  } else if (projectsCollection.has(row.id)) {
    projectsCollection.delete(row.id);
  }
}

function insertProject(project: Project): void {
  const transaction = projectsCollection.insert(project);
  trackProjectCreate(project.id, transaction.when("settled"));
}
