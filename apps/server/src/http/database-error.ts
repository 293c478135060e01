import { ONE_RUNNING_PER_PROJECT } from "@tandem/db/schema";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { ApiError } from "./api-error.ts";
import { redactUrls } from "./redact.ts";

interface PgError {
  code: string;
  message?: unknown;
  /** postgres.js names it `constraint_name`, PGlite `constraint`. */
  constraint_name?: unknown;
  constraint?: unknown;
}

/** The Postgres error inside `err`, looking through the wrappers drizzle adds. */
function pgError(err: unknown): PgError | undefined {
  for (
    let e = err, depth = 0;
    e && typeof e === "object" && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return e as PgError;
  }
  return undefined;
}

/**
 * Database errors a client's request can cause, as the client's error: rows raced into
 * (a project deleted while a message is posted to it), and values the contract lets
 * through that Postgres refuses.
 */
export function databaseError(err: unknown): ApiError | undefined {
  const pg = pgError(err);
  const state = pg?.code;
  // Data exceptions (class 22): a NUL character or a lone surrogate in text or jsonb,
  // a version beyond int4.
  if (state?.startsWith("22")) {
    return new ApiError("invalid_input", "A value in this request cannot be stored");
  }
  switch (state) {
    case "23503":
      return new ApiError("not_found", "A row this request refers to no longer exists");
    case "23505":
      if ((pg?.constraint_name ?? pg?.constraint) === ONE_RUNNING_PER_PROJECT) {
        return new ApiError(
          "generation_running",
          "A reply is already being written in this project: wait for it to finish, or stop it, before sending another message",
        );
      }
      return new ApiError("duplicate_id", "A row with this id already exists");
    case "40001":
    case "40P01":
      return new ApiError("version_conflict", "The row changed while this request ran; try again");
    default:
      return undefined;
  }
}

/**
 * An error as one log line that never holds a statement's parameters or a row's values
 * (a message's text, a whole project's messages): the statement (cut short), and the
 * database's code and message, without its detail (which can quote the failing row) and
 * without the message of a data exception (which quotes the value); URLs lose their
 * user, password and query.
 */
export function describeError(err: unknown): string {
  const query = err instanceof DrizzleQueryError ? ` (in: ${shorten(err.query)})` : "";
  const pg = pgError(err);
  // A data exception's message quotes the value refused: its code says enough.
  const message = pg?.code.startsWith("22") ? "a value was refused" : String(pg?.message ?? "");
  if (pg) return `database error ${pg.code}: ${message}${query}`;
  if (err instanceof DrizzleQueryError) {
    return `query failed: ${err.cause instanceof Error ? err.cause.message : "no cause given"}${query}`;
  }
  // A network error can quote the URL it failed on, with its password or key.
  if (err instanceof Error) return redactUrls(err.stack ?? `${err.name}: ${err.message}`);
  return redactUrls(String(err));
}

const shorten = (text: string, max = 300) => {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

/** Node's errors for a server that cannot be reached, and postgres.js's for a connection that went away. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/**
 * Whether `err` says the database cannot be used at all (as opposed to refusing one
 * statement): unreachable, gone, not existing, not accepting connections, shutting down,
 * or refusing our credentials. The server then answers 503 and waits for it.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (
    let e = err, depth = 0;
    e && typeof e === "object" && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (UNREACHABLE_CODES.has(code)) return true;
    // 08: connection exceptions; 57P01–57P03: shut down or starting; 3D000: no such
    // database; 55000: "not currently accepting connections" at connect time; 53300: too
    // many connections; 28: credentials refused.
    if (/^(08|28)/.test(code) || ["57P01", "57P02", "57P03", "3D000", "53300"].includes(code)) return true;
    if (code === "55000" && /accepting connections/i.test(String((e as { message?: unknown }).message)))
      return true;
  }
  return false;
}
