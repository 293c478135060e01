import { createMiddleware } from "hono/factory";
import type { AuthService, Caller } from "../auth/auth-service.ts";
import { ApiError } from "./api-error.ts";

/** What every route after `requireCaller` finds on its context. */
export interface AppEnv {
  Variables: { caller: Caller };
}

/**
 * 401 for a request without a valid session; otherwise puts its caller on the context
 * (in local mode, the local owner, without looking anything up).
 */
export const requireCaller = (auth: AuthService) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const caller = await auth.caller(c.req.header("cookie"));
    if (!caller) throw new ApiError("unauthorized", "Sign in to use this server");
    c.set("caller", caller);
    await next();
  });
