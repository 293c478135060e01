import { type ErrorBody, type ErrorCode, type ErrorDetail, errorStatus } from "@tandem/shared";
import type { Context } from "hono";

/** The one error type handlers throw; `app.onError` turns it into the JSON envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly current: unknown;
  /** How long a client should wait before asking again (a 429's `Retry-After`, in seconds). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    extra: { details?: ErrorDetail[]; current?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.details = extra.details;
    this.current = extra.current;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }

  get status() {
    return errorStatus[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody["error"] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    if (this.current !== undefined) error.current = this.current;
    return { error };
  }
}

/** The answer for an error outside a handler's throw: the JSON envelope, and `Retry-After` when the error has one. */
export function errorResponse(c: Context, error: ApiError): Response {
  if (error.retryAfterSeconds !== undefined) c.header("retry-after", String(error.retryAfterSeconds));
  return c.json(error.toBody(), error.status);
}

export const notFound = (what: string, id: string) =>
  new ApiError("not_found", `${what} ${id} does not exist`);
