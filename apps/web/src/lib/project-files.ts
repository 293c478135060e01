import { type Project, projectSchema } from "@tandem/shared";
import { api, send, sendForFile } from "./api.ts";

export type ExportFormat = "markdown" | "json";

/**
 * A project as a file: `GET /api/projects/:id/export` (a Markdown transcript of the
 * branch ending at `leaf`, or the JSON file of every branch).
 */
export function exportProject(projectId: string, format: ExportFormat, leaf?: string): Promise<Blob> {
  return sendForFile(() =>
    api.projects[":id"].export.$get({
      param: { id: projectId },
      query: leaf === undefined ? { format } : { format, leaf },
    }),
  );
}

/**
 * Makes a new project from a project file: `POST /api/projects/import`. The file goes as
 * it is (the server reads and checks it; a large one is not parsed here first).
 */
export async function importProject(file: Blob): Promise<Project> {
  const row = await send(() =>
    api.projects.import.$post(
      { json: undefined },
      { headers: { "content-type": "application/json" }, init: { body: file } },
    ),
  );
  return projectSchema.parse(row);
}
