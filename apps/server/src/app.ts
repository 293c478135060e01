import { readFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { getConnInfo } from "@hono/node-server/conninfo";
import { serveStatic } from "@hono/node-server/serve-static";
import type { DbHandle } from "@tandem/db/client";
import { BODY_LIMIT_BYTES } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { Assistant, type AssistantOptions } from "./assistant/assistant.ts";
import { type AuthOptions, AuthService } from "./auth/auth-service.ts";
import { DatabaseGate } from "./database-gate.ts";
import type { FeedHub } from "./feed/hub.ts";
import { ApiError, errorResponse } from "./http/api-error.ts";
import { bodyLimit } from "./http/body-limit.ts";
import { requireCaller } from "./http/caller.ts";
import { databaseError, describeError, isDatabaseUnavailable } from "./http/database-error.ts";
import { hostAllowlist, sameOriginWrites, securityHeaders } from "./http/guard.ts";
import { requestLog } from "./http/request-log.ts";
import { log } from "./log.ts";
import { ServerMetrics } from "./metrics.ts";
import { changeRoutes } from "./routes/changes.ts";
import { chatRoutes } from "./routes/chat.ts";
import { healthRoutes } from "./routes/health.ts";
import { memberRoutes } from "./routes/members.ts";
import { messageRoutes } from "./routes/messages.ts";
import { projectFileRoutes } from "./routes/project-files.ts";
import { projectRoutes } from "./routes/projects.ts";
import { searchRoutes } from "./routes/search.ts";
import { sessionRoutes } from "./routes/session.ts";
import { defaults } from "./settings.ts";

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
  /** Who may call: local mode (everything as the local owner, the default) or accounts. */
  auth?: AuthService | AuthOptions | undefined;
  /** Change-feed connections one user may hold open on this instance. */
  feedConnectionsPerUser?: number | undefined;
  /** The largest project file an import takes (IMPORT_MAX_BYTES). */
  importMaxBytes?: number | undefined;
  /**
   * Whether the database can be used: while it cannot, every API route answers 503. The
   * server's boot makes one that prepares the database; omitted, the database is taken as
   * prepared (tests), and a request that finds it gone still closes the gate.
   */
  gate?: DatabaseGate | undefined;
  /** This instance's metrics (GET /metrics); omitted, the app makes its own. */
  metrics?: ServerMetrics | undefined;
}

interface ApiParts {
  gate: DatabaseGate;
  db: DbHandle;
  feed: FeedHub;
  assistant: Assistant;
  auth: AuthService;
  feedConnectionsPerUser: number;
  importMaxBytes: number;
}

/** The one route whose body may be larger than BODY_LIMIT_BYTES: a whole project. */
const IMPORT_PATH = "/api/projects/import";

/**
 * The REST API under /api; its type is what the typed client (`hc`) is built from.
 * Health, the session and better-auth's routes are public; every route after
 * `requireCaller` needs a session (401) and checks the caller's access itself.
 */
export function createApi({
  db,
  feed,
  assistant,
  auth,
  feedConnectionsPerUser,
  importMaxBytes,
  gate,
}: ApiParts) {
  return new Hono()
    .use(
      bodyLimit({
        maxSize: (c) => (c.req.path === IMPORT_PATH ? importMaxBytes : BODY_LIMIT_BYTES),
        onError: (c, maxSize) => {
          const error = new ApiError(
            "payload_too_large",
            c.req.path === IMPORT_PATH
              ? `The file is over ${sizeInWords(maxSize)}, the most an import takes (IMPORT_MAX_BYTES)`
              : `The body is over ${maxSize} bytes`,
          );
          // The rest of the body is never read, so this connection cannot carry another request.
          c.header("connection", "close");
          return c.json(error.toBody(), error.status);
        },
      }),
    )
    .route("/health", healthRoutes(db, gate))
    .use(requireDatabase(gate))
    .route("/", sessionRoutes(auth))
    .use(requireCaller(auth))
    .route("/projects", projectRoutes(db.db, feed))
    .route("/projects", memberRoutes(db.db, feed))
    .route("/projects", projectFileRoutes(db.db, feed))
    .route("/", messageRoutes(db.db, feed))
    .route("/search", searchRoutes(db.db))
    .route("/chat", chatRoutes(assistant))
    .route("/changes", changeRoutes(feed, feedConnectionsPerUser));
}

export function createApp({
  db,
  feed,
  webRoot,
  assistant,
  publicUrl,
  auth,
  feedConnectionsPerUser,
  importMaxBytes,
  gate: givenGate,
  metrics: givenMetrics,
}: AppOptions) {
  const gate =
    givenGate ??
    DatabaseGate.alreadyOpen(db.kind, async () => {
      await db.db.execute(sql`select 1`);
    });
  const service = assistant instanceof Assistant ? assistant : new Assistant(db, { ...assistant, feed });
  const authService = auth instanceof AuthService ? auth : new AuthService(db.db, { publicUrl, ...auth });
  // Before every route, in this order: headers go on every answer, refusals included;
  // a foreign Host is refused before anything else is looked at.
  const metrics = givenMetrics ?? new ServerMetrics({ db: db.db, feed, assistant: service, gate });
  const app = new Hono()
    .use(requestLog(metrics))
    .use(securityHeaders())
    .use(hostAllowlist(publicUrl))
    .get("/metrics", async (c) => {
      // Through the proxy (which names the client it forwards for) or from another
      // machine, /metrics is not there: it is for the operator's scraper on this host.
      if (!isLoopbackClient(c)) {
        const error = new ApiError("not_found", "No route for GET /metrics");
        return c.json(error.toBody(), error.status);
      }
      const { body, contentType } = await metrics.render();
      c.header("content-type", contentType);
      c.header("cache-control", "no-store");
      return c.body(body);
    })
    .use(sameOriginWrites(publicUrl))
    .route(
      "/api",
      createApi({
        gate,
        db,
        feed,
        assistant: service,
        auth: authService,
        feedConnectionsPerUser: feedConnectionsPerUser ?? defaults.feedConnectionsPerUser,
        importMaxBytes: importMaxBytes ?? defaults.importMaxBytes,
      }),
    );

  app.notFound((c) => {
    const error = new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`);
    return c.json(error.toBody(), error.status);
  });

  app.onError((err, c) => {
    const unavailable = isDatabaseUnavailable(err);
    if (unavailable) gate.lost(err);
    const error = unavailable ? gate.unavailable() : toApiError(err);
    if (error.status >= 500 && !unavailable) {
      log.error(`${c.req.method} ${c.req.path} failed: ${describeError(err)}`);
    }
    return errorResponse(c, error);
  });

  if (webRoot) serveSpa(app, webRoot);
  return app;
}

/** "20 MiB", "512 KiB", "900 bytes". */
function sizeInWords(bytes: number): string {
  const round = (n: number) => String(Math.round(n * 10) / 10);
  if (bytes >= 1024 * 1024) return `${round(bytes / (1024 * 1024))} MiB`;
  if (bytes >= 1024) return `${round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** Answers 503 `database_unavailable` while the database cannot be used (see DatabaseGate). */
function requireDatabase(gate: DatabaseGate): MiddlewareHandler {
  return async (c, next) => {
    if (!gate.ready) return errorResponse(c, gate.unavailable());
    await next();
  };
}

/** A client on this machine, talking to the server itself (not forwarded by a proxy). */
function isLoopbackClient(c: Context): boolean {
  if (c.req.header("x-forwarded-for") !== undefined || c.req.header("forwarded") !== undefined) return false;
  try {
    const address = getConnInfo(c).remote.address ?? "";
    return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
  } catch {
    // No socket (a request made in the same process): not a scraper on this machine.
    return false;
  }
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
