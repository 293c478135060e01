import { getConnInfo } from "@hono/node-server/conninfo";
import type { SessionInfo } from "@tandem/shared";
import { type Context, Hono } from "hono";
import type { AuthService } from "../auth/auth-service.ts";
import { ApiError, errorResponse } from "../http/api-error.ts";

/**
 * `GET /api/session` (public: who the caller is, and how this server signs people in)
 * and better-auth's routes under `/api/auth/*`, with Tandem's rules around them:
 * 404 in local mode, 403 signup_disabled, and the sign-in throttle.
 */
export const sessionRoutes = (auth: AuthService) =>
  new Hono()
    .get("/session", async (c) => {
      const { user, setCookie } = await auth.session(c.req.raw);
      for (const cookie of setCookie) c.header("set-cookie", cookie, { append: true });
      c.header("cache-control", "no-store");
      const info: SessionInfo = { mode: auth.mode, allowSignup: auth.allowSignup, user: user ?? null };
      return c.json(info);
    })

    .all("/auth/*", async (c) => {
      const better = auth.better;
      if (!better)
        throw new ApiError("not_found", "This server has no accounts (AUTH=local): nobody signs in");
      const path = c.req.path.replace(/\/+$/, "");
      if (c.req.method === "POST" && path === "/api/auth/sign-up/email" && !auth.allowSignup) {
        throw new ApiError(
          "signup_disabled",
          "Sign-up is turned off on this server: ask its admin for an account",
        );
      }
      if (c.req.method === "POST" && path === "/api/auth/sign-in/email")
        return signIn(c, auth, better.handler);
      return better.handler(c.req.raw);
    });

async function signIn(
  c: Context,
  auth: AuthService,
  handler: (request: Request) => Response | Promise<Response>,
) {
  const email = await emailOf(c.req.raw.clone());
  if (email === undefined) return handler(c.req.raw);
  const address = clientAddress(c);
  const waitSeconds = await auth.throttle.attempt(email, address);
  if (waitSeconds !== undefined) {
    const error = new ApiError(
      "rate_limited",
      `Too many sign-in attempts for ${email}: try again in ${waitSeconds} seconds`,
      { retryAfterSeconds: waitSeconds },
    );
    return errorResponse(c, error);
  }
  const response = await handler(c.req.raw);
  if (response.ok) await auth.throttle.succeeded(email, address);
  return response;
}

async function emailOf(request: Request): Promise<string | undefined> {
  try {
    const body: unknown = await request.json();
    const email = (body as { email?: unknown } | null)?.email;
    return typeof email === "string" && email.trim() !== "" ? email.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** The peer's address; a request made in-process (tests) has none. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}
