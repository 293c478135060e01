import type { Project } from "@tandem/shared";
import { loadedMessagesCollection } from "../../collections/messages.ts";
import { pendingWrites } from "../../lib/outbox.ts";
import { type ExportFormat, exportProject, importProject } from "../../lib/project-files.ts";
import { syncProject } from "../../sync/live-sync.ts";
import { branchOf } from "../chat/branch.ts";

const extensions: Record<ExportFormat, string> = { markdown: "md", json: "json" };

/** Downloads the project as a file named after it: a transcript of the branch ending at `leaf`, or every branch as JSON. */
export async function downloadProject(project: Project, format: ExportFormat, leaf?: string): Promise<void> {
  const file = await exportProject(project.id, format, leaf);
  const url = URL.createObjectURL(file);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${fileBaseName(project.name)}.${extensions[format]}`;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken the file by the time a minute is out.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A project's name as a file name: no path or reserved characters. */
export function fileBaseName(name: string): string {
  return (
    name
      .replace(/[\\/:*?"<>|\p{Cc}]+/gu, " ")
      .trim()
      .replace(/\s+/g, "-")
      .slice(0, 100) || "project"
  );
}

/** Makes a project from a project file; it is in the list at once. Answers its id. */
export async function importProjectFile(file: Blob): Promise<string> {
  const project = await importProject(file);
  await syncProject(project, true);
  return project.id;
}

/**
 * Where a transcript of the branch on screen ends: the last message of that branch the
 * server has (a message still unsent is not in the export). `anchor`: the message the
 * user chose the branch by (useBranchAnchor). Undefined with no messages loaded: the
 * server then takes the newest version at every turn.
 */
export function leafOnScreen(projectId: string, anchor: string | undefined): string | undefined {
  const loaded = loadedMessagesCollection(projectId);
  if (!loaded) return undefined;
  const { messages } = branchOf([...loaded.values()], anchor);
  return messages.findLast((message) => pendingWrites(message.id).length === 0)?.id;
}
