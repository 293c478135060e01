import { createMiddleware } from "hono/factory";
import type { Access } from "../access.ts";
import type { AuthService } from "../auth/auth-service.ts";
import { ApiError } from "./api-error.ts";

/** What every route after `requireCaller` finds on its context. */
export interface AppEnv {
  Variables: { access: Access };
}

/**
 * 401 for a request without a well-signed session cookie; otherwise puts its `Access` on
 * the context (in local mode, the local owner's, without looking anything up). A cookie
 * whose session is gone is refused by the route's first access check, also with 401.
 */
export const requireCaller = (auth: AuthService) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const access = await auth.access(c.req.header("cookie"));
    if (!access) throw new ApiError("unauthorized", "Sign in to use this server");
    c.set("access", access);
    await next();
  });
