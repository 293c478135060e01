import { type Member, memberListSchema, memberSchema } from "@tandem/shared";
import { send, sendNoContent } from "./api.ts";

/**
 * A project's members: `GET/POST /api/projects/:id/members`,
 * `DELETE /api/projects/:id/members/:userId`. Read when shown, never kept: the feed's
 * `member` changes say when to read them again.
 */
const path = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}/members`;
const json = { "content-type": "application/json" };

export async function listMembers(projectId: string): Promise<Member[]> {
  return memberListSchema.parse(await send(() => fetch(path(projectId), { cache: "no-store" })));
}

/** Adds the account with this email (already a member: the same member again). */
export async function inviteMember(projectId: string, email: string): Promise<Member> {
  const body = JSON.stringify({ email });
  return memberSchema.parse(
    await send(() => fetch(path(projectId), { method: "POST", headers: json, body })),
  );
}

/** The owner removes a member, or a member leaves (their own id). */
export async function removeMember(projectId: string, userId: string): Promise<void> {
  await sendNoContent(() => fetch(`${path(projectId)}/${encodeURIComponent(userId)}`, { method: "DELETE" }));
}
