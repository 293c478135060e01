import { z } from "zod/mini";

/**
 * The one account of `AUTH=local`, made by a migration: it owns everything a local
 * install writes, and the first account made in `AUTH=accounts` takes its projects over.
 */
export const LOCAL_OWNER = {
  id: "00000000-0000-4000-8000-000000000001",
  email: "owner@localhost",
  name: "Owner",
} as const;

export const authModes = ["local", "accounts"] as const;
export type AuthMode = (typeof authModes)[number];

/** A signed-in person as the API shows them. */
export const sessionUserSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
});
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** `GET /api/session`: how this server signs people in, and who the caller is (null: nobody). */
export const sessionInfoSchema = z.object({
  mode: z.enum(authModes),
  allowSignup: z.boolean(),
  user: z.nullable(sessionUserSchema),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const memberRoles = ["owner", "member"] as const;
export const memberRoleSchema = z.enum(memberRoles);
export type MemberRole = z.infer<typeof memberRoleSchema>;

/** A member of a project, as `GET /api/projects/:id/members` lists them. */
export const memberSchema = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: memberRoleSchema,
});
export type Member = z.infer<typeof memberSchema>;
export const memberListSchema = z.array(memberSchema);

/** `POST /api/projects/:id/members`: invite the account with this email. */
export const inviteMemberBodySchema = z.strictObject({
  email: z.string().check(z.trim(), z.toLowerCase(), z.email({ error: "must be an email address" })),
});
export type InviteMemberBody = z.infer<typeof inviteMemberBodySchema>;
