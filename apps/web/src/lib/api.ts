import type { ApiType } from "@tandem/server/app";
import type { ErrorDetail } from "@tandem/shared";
import { errorBodySchema, FEED_POSITION_HEADER } from "@tandem/shared";
import { hc } from "hono/client";
import { z } from "zod/mini";

/** The typed API client: every request the app makes goes through here. */
export const api = hc<ApiType>("/api");

/** A request that failed: refused by the server (status ≥ 400) or never answered (status 0). */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly current: unknown;
  /** On a 429: how long to wait before asking again (the `Retry-After` header), when the server says. */
  retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = [], current?: unknown) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.current = current;
  }
}

const unauthorizedListeners = new Set<() => void>();

/** Called whenever the server answers 401: the session this browser trusted has ended. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** better-auth's own errors are `{ code, message }`, not our envelope. */
const bareErrorSchema = z.object({ code: z.optional(z.string()), message: z.string() });

/** The error a refused answer (status ≥ 400) carries, in either shape the server answers. */
export async function errorOf(response: {
  status: number;
  headers: Headers;
  json(): Promise<unknown>;
}): Promise<ApiRequestError> {
  const json: unknown = await response.json().catch(() => undefined);
  const envelope = errorBodySchema.safeParse(json);
  const bare = bareErrorSchema.safeParse(json);
  const error = envelope.success
    ? new ApiRequestError(
        response.status,
        envelope.data.error.code,
        envelope.data.error.message,
        envelope.data.error.details,
        envelope.data.error.current,
      )
    : bare.success
      ? new ApiRequestError(response.status, bare.data.code ?? "unknown", bare.data.message)
      : new ApiRequestError(response.status, "unknown", `The server answered ${response.status}`);
  const retryAfter = Number(response.headers.get("retry-after"));
  if (Number.isFinite(retryAfter) && retryAfter > 0) error.retryAfterSeconds = retryAfter;
  return error;
}

interface JsonResponse<T> {
  ok: boolean;
  status: number;
  headers: Headers;
  json(): Promise<T>;
}

/** Sends a request and answers its body, or throws an ApiRequestError with the server's words. */
export async function send<T>(request: () => Promise<JsonResponse<T>>): Promise<T> {
  return (await receive(request)).json();
}

/**
 * Reads a snapshot (a list) with the change-feed position it is consistent with, so
 * changes already in it are not applied again.
 */
export async function sendSnapshot<T>(
  request: () => Promise<JsonResponse<T>>,
): Promise<{ rows: T; position: string | undefined }> {
  const response = await receive(request);
  return { rows: await response.json(), position: response.headers.get(FEED_POSITION_HEADER) ?? undefined };
}

/** Sends a request whose answer is a file to save: answers its body. */
export async function sendForFile(
  request: () => Promise<JsonResponse<unknown> & { blob(): Promise<Blob> }>,
): Promise<Blob> {
  return (await receive(request)).blob();
}

/** Sends a request whose success has no body (204). */
export async function sendNoContent(request: () => Promise<JsonResponse<unknown>>): Promise<void> {
  await receive(request);
}

async function receive<R extends JsonResponse<unknown>>(request: () => Promise<R>): Promise<R> {
  let response: R;
  try {
    response = await request();
  } catch {
    throw new ApiRequestError(0, "network", "Can't reach the server");
  }
  if (response.ok) return response;
  if (response.status === 401) for (const listener of unauthorizedListeners) listener();
  throw await errorOf(response);
}

/**
 * Opens a streamed answer (Server-Sent Events). Answers the response to read, `null`
 * for 204 (nothing to stream), or throws an ApiRequestError like `send`.
 */
export async function openStream(request: () => Promise<Response>): Promise<Response | null> {
  let response: Response;
  try {
    response = await request();
  } catch {
    throw new ApiRequestError(0, "network", "Can't reach the server");
  }
  if (response.status === 204) return null;
  if (response.ok && response.body) return response;
  return receive(async () => response).then(() => null);
}

export function describeError(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.status === 0) return "Can't reach the server";
    if (error.status >= 500) return "The server had a problem";
    if (error.details[0]) return `${error.details[0].path} ${error.details[0].message}`;
    return error.retryAfterSeconds === undefined
      ? error.message
      : `${error.message} (try again ${inAbout(error.retryAfterSeconds)})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** "in 40 seconds", "in 3 minutes", "in 2 hours": when a limit lets the user try again. */
export function inAbout(seconds: number): string {
  const plural = (n: number, unit: string) => `in ${n} ${unit}${n === 1 ? "" : "s"}`;
  if (seconds < 90) return plural(Math.max(1, Math.ceil(seconds)), "second");
  if (seconds < 90 * 60) return plural(Math.ceil(seconds / 60), "minute");
  return plural(Math.ceil(seconds / 3600), "hour");
}
