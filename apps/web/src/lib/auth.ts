import { type SessionInfo, sessionInfoSchema } from "@tandem/shared";
import { ApiRequestError, errorOf } from "./api.ts";

/**
 * The session's requests: `GET /api/session` (the mode, and who is signed in) and
 * better-auth's email routes under `/api/auth`. Plain fetch: the auth client library
 * would weigh more than these four requests. Errors come as ApiRequestError, like the
 * rest of the API's (better-auth's `{ code, message }` included), with `Retry-After`.
 */
async function request(path: string, body?: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: body === undefined ? "GET" : "POST",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiRequestError(0, "network", "Can't reach the server");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function fetchSession(): Promise<SessionInfo> {
  const parsed = sessionInfoSchema.safeParse(await (await request("/api/session")).json());
  if (!parsed.success)
    throw new ApiRequestError(502, "unknown", "The server's answer about the session was unreadable");
  return parsed.data;
}

export async function signIn(email: string, password: string): Promise<void> {
  await request("/api/auth/sign-in/email", { email, password });
}

export async function signUp(name: string, email: string, password: string): Promise<void> {
  await request("/api/auth/sign-up/email", { name, email, password });
}

export async function signOut(): Promise<void> {
  await request("/api/auth/sign-out", {});
}
