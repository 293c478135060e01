import { type AuthMode, authModes } from "@tandem/shared";
import { z } from "zod";
import { defaults } from "./settings.ts";

const milliseconds = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);

/** The longest delay a Node timer takes; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration: "24h", "90m", "3600s", "500ms", "7d", or a number of milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .transform((text, ctx) => {
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(text);
      const ms = match
        ? Number(match[1]) * unitMs[(match[2]?.toLowerCase() ?? "ms") as keyof typeof unitMs]
        : NaN;
      if (!Number.isFinite(ms) || ms < 1 || ms > 2 ** 31 * 1000) {
        ctx.addIssue({
          code: "custom",
          message: `must be a duration such as 24h, 90m, 3600s or a number of milliseconds (got "${text}")`,
        });
        return z.NEVER;
      }
      return Math.round(ms);
    });

/** true/false, yes/no, 1/0, on/off. */
const flag = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return fallback;
      if (["true", "1", "yes", "on"].includes(text)) return true;
      if (["false", "0", "no", "off"].includes(text)) return false;
      ctx.addIssue({ code: "custom", message: `must be true or false (got "${text}")` });
      return z.NEVER;
    });

/** Whether `host` (HOST) is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The only place that reads process.env; a wrong value stops start-up with a clear message. */
const envSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(defaults.port),
    HOST: z.string().min(1).default(defaults.host),
    DATABASE_URL: z.url().optional(),
    DATA_DIR: z.string().min(1).default(defaults.dataDir),
    /** The address people reach this server at; its host and origin are allowed besides loopback. */
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://tandem.example.com" })
      .optional(),
    /**
     * `local`: no sign-in, one owner owns everything (the default on a loopback HOST).
     * `accounts`: sign-up and sign-in (required when HOST is not loopback).
     */
    AUTH: z.enum(authModes, { error: 'must be "local" or "accounts"' }).optional(),
    /** Signs session cookies; required with DATABASE_URL in accounts mode (every instance shares it). */
    AUTH_SECRET: z
      .string()
      .min(32, { error: "must be at least 32 characters (e.g. openssl rand -base64 32)" })
      .optional(),
    /** Whether new accounts may be made (accounts mode). */
    ALLOW_SIGNUP: flag(defaults.allowSignup),
    /** Sign-in attempts per email and client address within SIGN_IN_WINDOW before 429. */
    SIGN_IN_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(defaults.signInMaxAttempts),
    /** How long the sign-in throttle counts attempts for. */
    SIGN_IN_WINDOW: duration(`${defaults.signInWindowMs}ms`),
    /** Replies one user may have being written at once (across instances). */
    CHAT_MAX_RUNNING: z.coerce.number().int().min(1).default(defaults.generationsPerUser),
    /** Replies one user may start per UTC day. */
    CHAT_DAILY_LIMIT: z.coerce.number().int().min(1).default(defaults.chatDailyLimit),
    /** Change-feed connections one user may hold open (per server instance). */
    FEED_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(defaults.feedConnectionsPerUser),
    /** The largest project file an import takes, in bytes. */
    IMPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(defaults.importMaxBytes),
    /** An OpenAI-compatible API (OpenAI, Ollama, llama.cpp, vLLM); unset, the offline assistant answers. */
    AI_BASE_URL: z.url().optional(),
    AI_API_KEY: z.string().optional(),
    AI_MODEL: z.string().min(1).optional(),
    /** The offline assistant's pace, per token. */
    ASSISTANT_TOKEN_DELAY_MS: milliseconds(defaults.tokenDelayMs),
    /** How often a growing reply's text is written to its row. */
    STREAM_FLUSH_MS: milliseconds(defaults.flushMs, 10),
    /** The most tokens a reply may have. */
    MODEL_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).default(defaults.modelMaxOutputTokens),
    /** A model that sends nothing for this long fails the reply. */
    MODEL_CHUNK_TIMEOUT: duration(`${defaults.modelChunkTimeoutMs}ms`),
    /** A reply the model has not finished in this long fails. */
    MODEL_TIMEOUT: duration(`${defaults.modelTimeoutMs}ms`),
    /** The most characters of earlier messages sent to the model (the newest ones). */
    MODEL_HISTORY_CHARS: z.coerce.number().int().min(1000).default(defaults.modelHistoryChars),
    /** How often a running generation tells the others it is alive. */
    GENERATION_HEARTBEAT_MS: milliseconds(defaults.heartbeatMs, 10),
    /** A generation whose heartbeat is older than this is taken for dead and marked interrupted. */
    GENERATION_STALE_MS: milliseconds(defaults.staleMs, 20),
    /** How long the change log keeps an entry; a client further behind refetches its data. */
    CHANGE_LOG_RETENTION: duration(`${defaults.retentionMs}ms`),
    /** How often an idle change feed connection gets a comment line, so proxies keep it open. */
    FEED_KEEPALIVE_MS: milliseconds(defaults.keepAliveMs, 10),
    /** The change feed reads the log at most this often: a burst of writes is one read. */
    FEED_READ_GAP_MS: milliseconds(defaults.readGapMs),
    /** The longest wait between two tries of an unavailable database. */
    DATABASE_RETRY_MAX_MS: milliseconds(defaults.databaseRetryMaxMs, 100),
    /** A statement running longer than this is cancelled (Postgres statement_timeout). */
    DATABASE_STATEMENT_TIMEOUT: duration(`${defaults.databaseStatementTimeoutMs}ms`),
    /** A statement waiting longer than this for a lock fails (Postgres lock_timeout), the migration lock too. */
    DATABASE_LOCK_TIMEOUT: duration(`${defaults.databaseLockTimeoutMs}ms`),
    /** SIGTERM: the server exits within this, replies stored (finished, or interrupted halfway). */
    SHUTDOWN_TIMEOUT_MS: milliseconds(defaults.shutdownTimeoutMs, 1000),
    /** A port of its own for GET /metrics; unset, /metrics answers loopback clients on PORT. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** The log's level (pino): fatal, error, warn, info, debug, trace or silent. */
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default(defaults.logLevel),
  })
  .superRefine((env, ctx) => {
    const mode = env.AUTH ?? (isLoopbackHost(env.HOST) ? "local" : undefined);
    if (mode !== "accounts" && !isLoopbackHost(env.HOST)) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH"],
        message: `must be "accounts" when HOST (${env.HOST}) is not a loopback address: a server on the network needs sign-in (AUTH=accounts)`,
      });
    }
    if (mode === "accounts" && env.DATABASE_URL && !env.AUTH_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_SECRET"],
        message:
          "is required with DATABASE_URL in accounts mode: every instance must sign sessions with the same secret (at least 32 characters)",
      });
    }
    if (env.AI_BASE_URL && !env.AI_MODEL) {
      ctx.addIssue({
        code: "custom",
        path: ["AI_MODEL"],
        message: "is required when AI_BASE_URL is set: the model to ask, e.g. AI_MODEL=llama3.2",
      });
    }
    for (const name of [
      "MODEL_CHUNK_TIMEOUT",
      "MODEL_TIMEOUT",
      "SIGN_IN_WINDOW",
      "DATABASE_STATEMENT_TIMEOUT",
      "DATABASE_LOCK_TIMEOUT",
    ] as const) {
      if (env[name] > MAX_TIMER_MS) {
        ctx.addIssue({ code: "custom", path: [name], message: "must be at most 24 days (a timer's limit)" });
      }
    }
    if (env.GENERATION_STALE_MS <= 2 * env.GENERATION_HEARTBEAT_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["GENERATION_STALE_MS"],
        message: `must be more than twice GENERATION_HEARTBEAT_MS (${env.GENERATION_HEARTBEAT_MS}), or live generations look dead`,
      });
    }
  });

export type Env = z.infer<typeof envSchema> & { AUTH: AuthMode };

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const blankAsUnset = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = envSchema.safeParse(blankAsUnset);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment:\n${problems.join("\n")}`);
  }
  // Unset, AUTH follows HOST: the refinement above refused a network HOST without it.
  return { ...result.data, AUTH: result.data.AUTH ?? "local" };
}
