import { z } from "zod/mini";

/** Every error code the API answers, with its HTTP status. */
export const errorStatus = {
  invalid_input: 400,
  invalid_json: 400,
  /** A write whose Origin is not this server's (a cross-site request), or that names none. */
  cross_origin: 403,
  not_found: 404,
  version_conflict: 409,
  duplicate_id: 409,
  /** A reply is already being written in this project: one generation at a time. */
  generation_running: 409,
  /** Stop or follow asked of a message whose reply is not being written. */
  not_streaming: 409,
  payload_too_large: 413,
  /** A request for a Host this server does not answer for (DNS rebinding, a wrong proxy). */
  misdirected_request: 421,
  unsupported_media_type: 415,
  internal: 500,
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
