import { readFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { DbHandle } from "@tandem/db/client";
import { BODY_LIMIT_BYTES } from "@tandem/shared";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { Assistant, type AssistantOptions } from "./assistant/assistant.ts";
import type { FeedHub } from "./feed/hub.ts";
import { ApiError } from "./http/api-error.ts";
import { bodyLimit } from "./http/body-limit.ts";
import { databaseError, describeError } from "./http/database-error.ts";
import { hostAllowlist, sameOriginWrites, securityHeaders } from "./http/guard.ts";
import { changeRoutes } from "./routes/changes.ts";
import { chatRoutes } from "./routes/chat.ts";
import { healthRoutes } from "./routes/health.ts";
import { messageRoutes } from "./routes/messages.ts";
import { projectRoutes } from "./routes/projects.ts";

export interface AppOptions {
  db: DbHandle;
  /** This instance's change feed, served at /api/changes. */
  feed: FeedHub;
  /** The built SPA (apps/web/dist) to serve beside the API; omitted, only the API is served. */
  webRoot?: string | undefined;
  /** The assistant, or the options to make one on `feed` (tests give a scripted model); default: offline. */
  assistant?: Assistant | AssistantOptions | undefined;
  /** The address people reach this server at (PUBLIC_URL): its host and origin are allowed besides loopback. */
  publicUrl?: string | undefined;
}

/** The REST API under /api; its type is what the typed client (`hc`) is built from. */
export function createApi(db: DbHandle, feed: FeedHub, assistant: Assistant) {
  return new Hono()
    .use(
      bodyLimit({
        maxSize: BODY_LIMIT_BYTES,
        onError: (c) => {
          const error = new ApiError("payload_too_large", `The body is over ${BODY_LIMIT_BYTES} bytes`);
          // The rest of the body is never read, so this connection cannot carry another request.
          c.header("connection", "close");
          return c.json(error.toBody(), error.status);
        },
      }),
    )
    .route("/health", healthRoutes(db))
    .route("/projects", projectRoutes(db.db))
    .route("/", messageRoutes(db.db, feed))
    .route("/chat", chatRoutes(assistant))
    .route("/changes", changeRoutes(feed));
}

export function createApp({ db, feed, webRoot, assistant, publicUrl }: AppOptions) {
  const service = assistant instanceof Assistant ? assistant : new Assistant(db, { ...assistant, feed });
  // Before every route, in this order: headers go on every answer, refusals included;
  // a foreign Host is refused before anything else is looked at.
  const app = new Hono()
    .use(securityHeaders())
    .use(hostAllowlist(publicUrl))
    .use(sameOriginWrites(publicUrl))
    .route("/api", createApi(db, feed, service));

  app.notFound((c) => {
    const error = new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
    return c.json(error.toBody(), error.status);
  });

  app.onError((err, c) => {
    const error = toApiError(err);
    if (error.status >= 500) console.error(`${c.req.method} ${c.req.path} failed: ${describeError(err)}`);
    return c.json(error.toBody(), error.status);
  });

  if (webRoot) serveSpa(app, webRoot);
  return app;
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // Hono's JSON validator throws this one for a body that does not parse.
  if (err instanceof HTTPException && err.status === 400) {
    return new ApiError("invalid_json", "The body is not valid JSON");
  }
  if (err instanceof HTTPException && err.status === 413) {
    return new ApiError("payload_too_large", `The body is over ${BODY_LIMIT_BYTES} bytes`);
  }
  return databaseError(err) ?? new ApiError("internal", "Something went wrong on our side");
}

/**
 * Serves the built SPA: hashed assets cached for good (a missing one is a 404, not the
 * page), every other path gets index.html, read per request so a rebuild is picked up.
 */
function serveSpa(app: Hono, webRoot: string) {
  const indexHtml = join(webRoot, "index.html");
  app.use(
    "*",
    serveStatic({
      root: webRoot,
      onFound: (path, c) => {
        const hashed = path.includes(`${sep}assets${sep}`);
        c.header("cache-control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
      },
    }),
  );
  app.get("*", async (c) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/assets/")) return c.notFound();
    c.header("cache-control", "no-cache");
    return c.html(await readFile(indexHtml, "utf8"));
  });
}

export type ApiType = ReturnType<typeof createApi>;
