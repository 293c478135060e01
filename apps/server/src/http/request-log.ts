import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { log } from "../log.ts";
import type { ServerMetrics } from "../metrics.ts";

/** A proxy's request id is taken when it is a plain token of reasonable length; else one is made. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * First of every middleware: gives each request an id (`x-request-id` from the proxy, or
 * a new one), echoes it on the answer, and when the answer is ready logs one line with
 * the id, method, path (without its query, which could hold a search), status, route
 * pattern and duration, and counts it in `http_request_duration_seconds`. Bodies and
 * headers are never logged.
 */
export function requestLog(metrics: ServerMetrics | undefined): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID.test(given) ? given : randomUUID();
    c.header("x-request-id", requestId);
    const done = metrics?.startRequest();
    try {
      await next();
    } finally {
      const status = c.res.status;
      // The pattern that answered ("/api/projects/:id"), not the path: a bounded set of labels.
      const route = c.req.routeIndex >= 0 ? routePath(c, c.req.routeIndex) : "unmatched";
      done?.({ method: c.req.method, route, status });
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      log.info({ requestId, method: c.req.method, path: c.req.path, route, status, durationMs }, "request");
    }
    if (!c.res.headers.has("x-request-id")) {
      try {
        c.res.headers.set("x-request-id", requestId);
      } catch {
        // A response with immutable headers (fetched through): it goes without the echo.
      }
    }
  };
}
