import { type Member, memberListSchema, memberSchema } from "@tandem/shared";
import { api, send, sendNoContent } from "./api.ts";

/**
 * A project's members: `GET/POST /api/projects/:id/members`,
 * `DELETE /api/projects/:id/members/:userId`. Read when shown, never kept: the feed's
 * `member` changes say when to read them again.
 */
export async function listMembers(projectId: string): Promise<Member[]> {
  return memberListSchema.parse(
    await send(() => api.projects[":id"].members.$get({ param: { id: projectId } })),
  );
}

/** Adds the account with this email (already a member: the same member again). */
export async function inviteMember(projectId: string, email: string): Promise<Member> {
  return memberSchema.parse(
    await send(() => api.projects[":id"].members.$post({ param: { id: projectId }, json: { email } })),
  );
}

/** The owner removes a member, or a member leaves (their own id). */
export async function removeMember(projectId: string, userId: string): Promise<void> {
  await sendNoContent(() =>
    api.projects[":id"].members[":userId"].$delete({ param: { id: projectId, userId } }),
  );
}
