import { randomUUID } from "node:crypto";
import { type CreateProjectBody, type Project, projectSchema, type SessionUser } from "@tandem/shared";
import { expect } from "vitest";
import { answerOf, type JsonAnswer, OWN_ORIGIN, type WithApp } from "./http.ts";

/** Someone signed in to the app under test: their requests carry their session cookie. */
export interface SignedIn {
  user: SessionUser;
  /** `name=value` of the session cookie, as a browser sends it. */
  cookie: string;
  /** Sends `body` as JSON (or nothing) with the session, and reads the JSON answer. */
  call(method: string, path: string, body?: unknown): Promise<JsonAnswer>;
  /** The raw response of a request with the session (for streams and empty answers). */
  request(method: string, path: string, body?: unknown): Promise<Response>;
  /** A project of their own, made through the API. */
  createProject(body?: Partial<CreateProjectBody>): Promise<Project>;
}

export const PASSWORD = "correct horse battery staple";

/** A fresh email, so tests sharing a database never collide. */
export const newEmail = (name = "someone") => `${name}-${randomUUID().slice(0, 8)}@example.com`;

/** A request as the browser on the app's own page sends it, with `cookie` if given. */
export function send(server: WithApp, method: string, path: string, body?: unknown, cookie?: string) {
  const headers: Record<string, string> = { origin: OWN_ORIGIN };
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  return server.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The session cookie better-auth set on a response, as `name=value`. */
export function sessionCookieOf(response: Response): string {
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] ?? "")
    .find((pair) => pair.includes("session_token=") && !pair.endsWith("="));
  if (!cookie) throw new Error(`No session cookie in the answer (${response.status})`);
  return cookie;
}

function signedIn(server: WithApp, user: SessionUser, cookie: string): SignedIn {
  const request = async (method: string, path: string, body?: unknown) =>
    send(server, method, path, body, cookie);
  return {
    user,
    cookie,
    request,
    call: async (method, path, body) => answerOf(await request(method, path, body)),
    async createProject(body = {}) {
      const answer = await answerOf(
        await request("POST", "/api/projects", { id: randomUUID(), name: "A project", ...body }),
      );
      expect(answer.status).toBe(201);
      return projectSchema.parse(answer.body);
    },
  };
}

/** Signs a new account up (accounts mode) and answers it signed in. */
export async function signUp(
  server: WithApp,
  { name = "Someone", email = newEmail(name.toLowerCase()), password = PASSWORD } = {},
): Promise<SignedIn> {
  const response = await send(server, "POST", "/api/auth/sign-up/email", { name, email, password });
  expect(response.status, await response.clone().text()).toBe(200);
  const body = (await response.json()) as { user: SessionUser };
  return signedIn(
    server,
    { id: body.user.id, name: body.user.name, email: body.user.email },
    sessionCookieOf(response),
  );
}

/** Signs an existing account in; answers the response when it was refused. */
export async function signIn(
  server: WithApp,
  email: string,
  password = PASSWORD,
): Promise<SignedIn | Response> {
  const response = await send(server, "POST", "/api/auth/sign-in/email", { email, password });
  if (response.status !== 200) return response;
  const body = (await response.json()) as { user: SessionUser };
  return signedIn(
    server,
    { id: body.user.id, name: body.user.name, email: body.user.email },
    sessionCookieOf(response),
  );
}
