import { z } from "zod/mini";

/** Every error code the API answers, with its HTTP status. */
export const errorStatus = {
  invalid_input: 400,
  invalid_json: 400,
  /** No session: sign in first (`AUTH=accounts`). */
  unauthorized: 401,
  /** A member asked for what only the project's owner may do (delete, invite, remove others). */
  forbidden: 403,
  /** Sign-up is turned off on this server (`ALLOW_SIGNUP=false`). */
  signup_disabled: 403,
  /** A write whose Origin is not this server's (a cross-site request), or that names none. */
  cross_origin: 403,
  not_found: 404,
  /** An invite names an email no account has. */
  user_not_found: 404,
  version_conflict: 409,
  duplicate_id: 409,
  /** A reply is already being written in this project: one generation at a time. */
  generation_running: 409,
  /** Stop or follow asked of a message whose reply is not being written. */
  not_streaming: 409,
  /** The owner cannot leave their own project (delete it instead). */
  owner_cannot_leave: 409,
  payload_too_large: 413,
  /** A request for a Host this server does not answer for (DNS rebinding, a wrong proxy). */
  misdirected_request: 421,
  unsupported_media_type: 415,
  /** Too many failed sign-ins for this email from this address: wait `Retry-After` seconds. */
  rate_limited: 429,
  /** This user already has the most replies running at once. */
  generation_limit: 429,
  /** This user has had `CHAT_DAILY_LIMIT` replies today (UTC). */
  daily_limit: 429,
  /** This user has the most change-feed connections open already. */
  feed_limit: 429,
  internal: 500,
  /** The server cannot reach its database (not up yet, or lost): it keeps retrying; try again shortly. */
  database_unavailable: 503,
} as const;
export type ErrorCode = keyof typeof errorStatus;

export const errorDetailSchema = z.object({
  path: z.string(),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof errorDetailSchema>;

/** The body of every non-2xx answer. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.array(errorDetailSchema)),
    /** On a conflict: the stored row, so a client can show the server's version. */
    current: z.optional(z.unknown()),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
