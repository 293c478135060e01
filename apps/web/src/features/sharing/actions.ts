import { removeMember } from "../../lib/members.ts";
import { syncProjectDeleted } from "../../sync/live-sync.ts";

/** Leaves a project: it and its messages go from this browser at once (the feed says so to the other tabs). */
export async function leaveProject(projectId: string, userId: string): Promise<void> {
  await removeMember(projectId, userId);
  syncProjectDeleted(projectId);
}
