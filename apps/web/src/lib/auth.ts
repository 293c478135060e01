import { type SessionInfo, sessionInfoSchema } from "@tandem/shared";
import { ApiRequestError, api, errorOf, send } from "./api.ts";

/**
 * The session's requests: `GET /api/session` (the mode, and who is signed in) and
 * better-auth's email routes under `/api/auth` (plain fetch: the server hands them to
 * better-auth whole, so the typed client knows no shapes for them, and better-auth's
 * own client library would weigh more than these three requests). Errors come as ApiRequestError, like the
 * rest of the API's (better-auth's `{ code, message }` included), with `Retry-After`.
 */
async function post(path: string, body: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiRequestError(0, "network", "Can't reach the server");
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function fetchSession(): Promise<SessionInfo> {
  const parsed = sessionInfoSchema.safeParse(await send(() => api.session.$get()));
  if (!parsed.success)
    throw new ApiRequestError(502, "unknown", "The server's answer about the session was unreadable");
  return parsed.data;
}

export async function signIn(email: string, password: string): Promise<void> {
  await post("/api/auth/sign-in/email", { email, password });
}

export async function signUp(name: string, email: string, password: string): Promise<void> {
  await post("/api/auth/sign-up/email", { name, email, password });
}

export async function signOut(): Promise<void> {
  await post("/api/auth/sign-out", {});
}
