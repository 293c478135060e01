import { z } from "zod/mini";

/** `local`: no sign-in, everything runs as the owner. `accounts`: sign-up and sign-in. */
export const authModes = ["local", "accounts"] as const;
export const authModeSchema = z.enum(authModes);
export type AuthMode = z.infer<typeof authModeSchema>;

export const sessionUserSchema = z.object({ id: z.string(), name: z.string(), email: z.string() });
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** `GET /api/session`: the server's mode and who this browser is signed in as (`null`: nobody). */
export const sessionInfoSchema = z.object({
  mode: authModeSchema,
  allowSignup: z.boolean(),
  user: z.nullable(sessionUserSchema),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;
