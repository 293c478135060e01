import type { ApiType } from "@tandem/server/app";
import type { ErrorDetail } from "@tandem/shared";
import { errorBodySchema, FEED_POSITION_HEADER } from "@tandem/shared";
import { hc } from "hono/client";

/** The typed API client: every request the app makes goes through here. */
export const api = hc<ApiType>("/api");

/** A request that failed: refused by the server (status ≥ 400) or never answered (status 0). */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly current: unknown;

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = [], current?: unknown) {
    super(message);
    this.name = "ApiRequestError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.current = current;
  }
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

async function receive<T>(request: () => Promise<JsonResponse<T>>): Promise<JsonResponse<T>> {
  let response: JsonResponse<T>;
  try {
    response = await request();
  } catch {
    throw new ApiRequestError(0, "network", "Can't reach the server");
  }
  if (response.ok) return response;

  const body = errorBodySchema.safeParse(await response.json().catch(() => undefined));
  if (!body.success) {
    throw new ApiRequestError(response.status, "unknown", `The server answered ${response.status}`);
  }
  const { code, message, details, current } = body.data.error;
  throw new ApiRequestError(response.status, code, message, details, current);
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
    return error.details[0] ? `${error.details[0].path} ${error.details[0].message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
