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
    instructions: "",
    ownerId: LOCAL_OWNER.id,
    createdAt: now,
    updatedAt: now,
    version: 1,
  });
  return id;
}

/** What a user changes of a project: versioned, sent through the outbox like any write. */
type ProjectEdits = Partial<Pick<Project, "name" | "instructions">>;

function editProject(project: Project, edits: ProjectEdits): void {
  forgetFailedWrite(`project:update:${project.id}`);
  projectsCollection.update(project.id, (draft) => {
    if (edits.name !== undefined) draft.name = edits.name;
    if (edits.instructions !== undefined) draft.instructions = edits.instructions;
  });
}

export function renameProject(project: Project, name: string): void {
  editProject(project, { name });
}

/** Sets what the model is told first in every reply of the project ("" for nothing). */
export function setInstructions(project: Project, instructions: string): void {
  editProject(project, { instructions });
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
  if (write.op === "update") editProject(current, { name: row.name, instructions: row.instructions });
  else deleteProject(current);
}
