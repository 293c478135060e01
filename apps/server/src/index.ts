import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createDb } from "@tandem/db/client";
import { createApp } from "./app.ts";
import { Assistant } from "./assistant/assistant.ts";
import { chatModel } from "./assistant/model.ts";
import { resolveAuthSecret } from "./auth/auth-secret.ts";
import { AuthService } from "./auth/auth-service.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { type Env, isLoopbackHost, readEnv } from "./env.ts";
import { FeedHub } from "./feed/hub.ts";
import { describeError } from "./http/database-error.ts";
import { redactUrl } from "./http/redact.ts";

let env: Env;
try {
  env = readEnv();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
// PGlite's files are one process's: a second server on them refuses to start.
if (!env.DATABASE_URL && !env.DATA_DIR.includes("://")) {
  try {
    process.on("exit", lockDataDir(env.DATA_DIR));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
const handle = createDb(env);
await handle.migrate();

const feed = new FeedHub(handle, {
  retentionMs: env.CHANGE_LOG_RETENTION,
  keepAliveMs: env.FEED_KEEPALIVE_MS,
  readGapMs: env.FEED_READ_GAP_MS,
});
// Listening, polling and trimming start now, not with the first feed connection.
await feed.start();

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
const interrupted = await assistant.recover();
if (interrupted.length > 0) {
  console.log(`Marked ${interrupted.length} reply(s) left unfinished by a stopped server as interrupted.`);
}
assistant.startSweeper();

const auth = new AuthService(handle.db, {
  mode: env.AUTH,
  secret: env.AUTH === "accounts" ? resolveAuthSecret(env.AUTH_SECRET, env.DATA_DIR) : undefined,
  allowSignup: env.ALLOW_SIGNUP,
  signIn: { maxAttempts: env.SIGN_IN_MAX_ATTEMPTS, windowMs: env.SIGN_IN_WINDOW },
  publicUrl: env.PUBLIC_URL,
});
// Counts whose window has passed would restart anyway; dropping them keeps the table small.
setInterval(() => {
  auth.throttle
    .sweep()
    .catch((error) => console.error(`Sweeping sign-in counts failed: ${describeError(error)}`));
}, env.SIGN_IN_WINDOW).unref();

const webRoot = fileURLToPath(new URL("../../web/dist", import.meta.url));
const hasWeb = existsSync(webRoot);
if (!hasWeb) console.warn(`No built web app at ${webRoot}: serving the API only (run pnpm build).`);

const app = createApp({
  db: handle,
  feed,
  webRoot: hasWeb ? webRoot : undefined,
  assistant,
  publicUrl: env.PUBLIC_URL,
  auth,
  feedConnectionsPerUser: env.FEED_MAX_CONNECTIONS_PER_USER,
  importMaxBytes: env.IMPORT_MAX_BYTES,
});
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  const where = handle.kind === "pglite" ? `PGlite in ${env.DATA_DIR}` : "Postgres";
  const model = env.AI_BASE_URL
    ? `${env.AI_MODEL} at ${redactUrl(env.AI_BASE_URL)}`
    : "the offline assistant";
  const who = env.AUTH === "accounts" ? "accounts: people sign in" : "local: no sign-in, one owner";
  console.log(`Tandem is running at http://${env.HOST}:${info.port} (${where}; replies by ${model}; ${who})`);
  if (!env.PUBLIC_URL && !isLoopbackHost(env.HOST)) {
    console.warn(
      `HOST=${env.HOST} serves other machines, but only loopback names (localhost, 127.0.0.1) are ` +
        "answered: set PUBLIC_URL to the address people open, e.g. PUBLIC_URL=http://192.168.1.20:3000 (docs/security.md).",
    );
  }
});

let closing = false;
function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing`);
  setTimeout(() => process.exit(1), 10_000).unref();
  // Stop accepting connections; end the change feed's connections (clients resume
  // elsewhere from their last id) and this instance's replies as interrupted (their text
  // kept), which also ends the responses following them; then close the database.
  server.close(async () => {
    await handle.close();
    process.exit(0);
  });
  if ("closeIdleConnections" in server) server.closeIdleConnections();
  feed.close().catch((error) => console.error(`Closing the change feed failed: ${describeError(error)}`));
  assistant
    .shutdown()
    .catch((error) => console.error(`Interrupting replies failed: ${describeError(error)}`));
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
