import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createDb } from "@tandem/db/client";
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { createApp } from "./app.ts";
import { Assistant } from "./assistant/assistant.ts";
import { chatModel } from "./assistant/model.ts";
import { resolveAuthSecret } from "./auth/auth-secret.ts";
import { AuthService } from "./auth/auth-service.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { DatabaseGate, databaseName } from "./database-gate.ts";
import { type Env, isLoopbackHost, readEnv } from "./env.ts";
import { FeedHub } from "./feed/hub.ts";
import { describeError } from "./http/database-error.ts";
import { redactUrl } from "./http/redact.ts";
import { log } from "./log.ts";
import { ServerMetrics } from "./metrics.ts";

let env: Env;
try {
  env = readEnv();
} catch (error) {
  log.fatal(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
log.level = env.LOG_LEVEL;
// PGlite's files are one process's: a second server on them refuses to start.
if (!env.DATABASE_URL && !env.DATA_DIR.includes("://")) {
  try {
    process.on("exit", lockDataDir(env.DATA_DIR));
  } catch (error) {
    log.fatal(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
const handle = createDb({
  ...env,
  statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT,
  lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT,
});

const feed = new FeedHub(handle, {
  retentionMs: env.CHANGE_LOG_RETENTION,
  keepAliveMs: env.FEED_KEEPALIVE_MS,
  readGapMs: env.FEED_READ_GAP_MS,
});

const assistant = new Assistant(handle, {
  model: chatModel(env),
  feed,
  tokenDelayMs: env.ASSISTANT_TOKEN_DELAY_MS,
  flushMs: env.STREAM_FLUSH_MS,
  heartbeatMs: env.GENERATION_HEARTBEAT_MS,
  staleMs: env.GENERATION_STALE_MS,
  maxOutputTokens: env.MODEL_MAX_OUTPUT_TOKENS,
  chunkTimeoutMs: env.MODEL_CHUNK_TIMEOUT,
  timeoutMs: env.MODEL_TIMEOUT,
  historyChars: env.MODEL_HISTORY_CHARS,
  chatDailyLimit: env.CHAT_DAILY_LIMIT,
  maxRunningPerUser: env.CHAT_MAX_RUNNING,
});

// The server listens at once; until the database is reachable and migrated, the API
// answers 503 and this keeps trying (a database that starts later, or is created later).
const gate = new DatabaseGate({
  name: databaseName(env),
  retryMaxMs: env.DATABASE_RETRY_MAX_MS,
  async prepare() {
    await handle.migrate();
    // Listening, polling and trimming start now, not with the first feed connection.
    await feed.start();
    const interrupted = await assistant.recover();
    if (interrupted.length > 0) {
      log.info(`Marked ${interrupted.length} reply(s) left unfinished by a stopped server as interrupted.`);
    }
    assistant.startSweeper();
  },
  async probe() {
    await handle.db.execute(sql`select 1`);
  },
});

const auth = new AuthService(handle.db, {
  mode: env.AUTH,
  secret: env.AUTH === "accounts" ? resolveAuthSecret(env.AUTH_SECRET, env.DATA_DIR) : undefined,
  allowSignup: env.ALLOW_SIGNUP,
  signIn: { maxAttempts: env.SIGN_IN_MAX_ATTEMPTS, windowMs: env.SIGN_IN_WINDOW },
  publicUrl: env.PUBLIC_URL,
});
// Counts whose window has passed would restart anyway; dropping them keeps the table small.
setInterval(() => {
  if (!gate.ready) return;
  auth.throttle
    .sweep()
    .catch((error) => log.error(`Sweeping sign-in counts failed: ${describeError(error)}`));
}, env.SIGN_IN_WINDOW).unref();

const webRoot = fileURLToPath(new URL("../../web/dist", import.meta.url));
const hasWeb = existsSync(webRoot);
if (!hasWeb) log.warn(`No built web app at ${webRoot}: serving the API only (run pnpm build).`);

const metrics = new ServerMetrics({ db: handle.db, feed, assistant, gate });
const app = createApp({
  db: handle,
  feed,
  webRoot: hasWeb ? webRoot : undefined,
  assistant,
  publicUrl: env.PUBLIC_URL,
  auth,
  feedConnectionsPerUser: env.FEED_MAX_CONNECTIONS_PER_USER,
  importMaxBytes: env.IMPORT_MAX_BYTES,
  gate,
  metrics,
});
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  const where = handle.kind === "pglite" ? `PGlite in ${env.DATA_DIR}` : gate.name;
  const model = env.AI_BASE_URL
    ? `${env.AI_MODEL} at ${redactUrl(env.AI_BASE_URL)}`
    : "the offline assistant";
  const who = env.AUTH === "accounts" ? "accounts: people sign in" : "local: no sign-in, one owner";
  log.info(`Tandem is running at http://${env.HOST}:${info.port} (${where}; replies by ${model}; ${who})`);
  if (!env.PUBLIC_URL && !isLoopbackHost(env.HOST)) {
    log.warn(
      `HOST=${env.HOST} serves other machines, but only loopback names (localhost, 127.0.0.1) are ` +
        "answered: set PUBLIC_URL to the address people open, e.g. PUBLIC_URL=http://192.168.1.20:3000 (docs/security.md).",
    );
  }
});
void gate.open();

// METRICS_PORT: /metrics for any client there (keep the port off the public network).
const metricsServer =
  env.METRICS_PORT === undefined
    ? undefined
    : serve(
        {
          fetch: new Hono().get("/metrics", async (c) => {
            const { body, contentType } = await metrics.render();
            return c.body(body, 200, { "content-type": contentType });
          }).fetch,
          port: env.METRICS_PORT,
          hostname: env.HOST,
        },
        (info) => log.info(`Metrics at http://${env.HOST}:${info.port}/metrics`),
      );

let closing = false;
/**
 * SIGTERM (or SIGINT): stop accepting connections; end the change feed's streams with a
 * retry hint (clients resume from their last id, on whichever instance answers); let this
 * instance's replies finish within half of SHUTDOWN_TIMEOUT_MS, then store the rest as
 * interrupted (their text kept); close the database; exit 0. Past SHUTDOWN_TIMEOUT_MS it
 * exits 1 whatever is left.
 */
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  const started = performance.now();
  setTimeout(() => {
    log.error(`Stopping took longer than SHUTDOWN_TIMEOUT_MS (${env.SHUTDOWN_TIMEOUT_MS} ms): exiting now.`);
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS).unref();
  log.info(
    { feedConnections: feed.subscriberCount, repliesRunning: assistant.runningCount },
    `${signal}: stopping`,
  );
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  metricsServer?.close();
  if ("closeIdleConnections" in server) server.closeIdleConnections();
  try {
    await feed.close();
    await assistant.shutdown({ graceMs: Math.floor(env.SHUTDOWN_TIMEOUT_MS / 2) });
  } catch (error) {
    log.error(`Ending feeds and replies failed: ${describeError(error)}`);
  }
  // The replies' last chunks go out; what is still open then follows a reply of another
  // instance, and its client follows it again there.
  await drainConnections(closed, Math.min(2000, env.SHUTDOWN_TIMEOUT_MS / 4));
  if ("closeAllConnections" in server) server.closeAllConnections();
  gate.close();
  try {
    await handle.close();
  } catch (error) {
    log.error(`Closing the database failed: ${describeError(error)}`);
  }
  log.info({ durationMs: Math.round(performance.now() - started) }, "Stopped");
  process.exit(0);
}
/** Waits up to `ms` for the open responses to end, closing each connection once it is idle. */
async function drainConnections(closed: Promise<void>, ms: number) {
  const idle = setInterval(() => {
    if ("closeIdleConnections" in server) server.closeIdleConnections();
  }, 50);
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, ms))]);
  clearInterval(idle);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
