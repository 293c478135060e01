import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "./http/api-error.ts";
import { describeError, isDatabaseUnavailable } from "./http/database-error.ts";
import { redactUrls } from "./http/redact.ts";
import { consoleLog } from "./log.ts";
import { defaults } from "./settings.ts";

export interface DatabaseGateOptions {
  /** The database as logs and answers name it (no credentials): "Postgres tandem on db:5432". */
  name: string;
  /**
   * Makes the database ready to serve (migrations, the feed's start, replies left by a
   * stopped server): tried until it succeeds once.
   */
  prepare: () => Promise<void>;
  /** A cheap statement that succeeds when the database can be used (again). */
  probe: () => Promise<void>;
  /** The first wait between two tries; it doubles up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  logger?: Pick<Console, "log" | "warn" | "error">;
}

type GateState = "waiting" | "ready" | "lost" | "closed";

/**
 * Whether the server can use its database now. It starts `waiting`: `open` prepares the
 * database, retrying with a growing delay (one log line per try) until it succeeds. A
 * request that finds the database gone (`lost`) closes the gate again, and the same
 * retries (a probe now) open it once the database answers. While closed, every API route
 * answers 503 `database_unavailable` and /api/health says why.
 */
export class DatabaseGate {
  readonly name: string;
  readonly #options: DatabaseGateOptions;
  readonly #logger: Pick<Console, "log" | "warn" | "error">;
  #state: GateState = "waiting";
  #prepared = false;
  #reason = "not connected yet";
  #retrying: Promise<void> | undefined;
  #stop = new AbortController();
  /** Tries that failed, since the process started (for the metrics). */
  failedTries = 0;

  constructor(options: DatabaseGateOptions) {
    this.name = options.name;
    this.#options = options;
    this.#logger = options.logger ?? consoleLog;
  }

  /** A gate that is open from the start, for an app whose database is already prepared (tests). */
  static alreadyOpen(name: string, probe: () => Promise<void>): DatabaseGate {
    const gate = new DatabaseGate({ name, probe, prepare: async () => {} });
    gate.#prepared = true;
    gate.#state = "ready";
    return gate;
  }

  /** Read through a getter: the state changes while a try awaits. */
  get #isClosed(): boolean {
    return this.#state === "closed";
  }

  get ready(): boolean {
    return this.#state === "ready";
  }

  /** Prepares the database, retrying until it can; resolves once the gate is open (or closed for good). */
  open(): Promise<void> {
    if (this.#state === "ready" || this.#state === "closed") return Promise.resolve();
    this.#retrying ??= this.#retry().finally(() => {
      this.#retrying = undefined;
    });
    return this.#retrying;
  }

  /** A request found the database gone: closes the gate until a probe gets through. */
  lost(error: unknown) {
    if (this.#state !== "ready") return;
    this.#state = "lost";
    this.#reason = reasonOf(error);
    this.#logger.warn(
      `The database ${this.name} was lost (${this.#reason}); answering 503 until it is back.`,
    );
    void this.open();
  }

  /** Checks the database when the gate is open (a health check): a failure closes it. */
  async check(): Promise<void> {
    if (!this.ready) return;
    try {
      await this.#options.probe();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      this.lost(error);
    }
  }

  /** The answer while the gate is closed. */
  unavailable(): ApiError {
    return new ApiError(
      "database_unavailable",
      `The database (${this.name}) is unavailable: ${this.#reason}. The server keeps trying; try again shortly.`,
      { retryAfterSeconds: 2 },
    );
  }

  /** Stops retrying (the server shuts down). */
  close() {
    this.#state = "closed";
    this.#stop.abort();
  }

  async #retry() {
    const min = this.#options.retryMinMs ?? defaults.databaseRetryMinMs;
    const max = this.#options.retryMaxMs ?? defaults.databaseRetryMaxMs;
    for (let attempt = 1, delay = min; ; attempt++, delay = Math.min(max, delay * 2)) {
      if (this.#state === "closed") return;
      try {
        if (this.#prepared) await this.#options.probe();
        else {
          await this.#options.prepare();
          this.#prepared = true;
        }
        if (this.#isClosed) return;
        const was = this.#state;
        this.#state = "ready";
        if (attempt > 1 || was === "lost") {
          this.#logger.log(
            `The database ${this.name} is available ${was === "lost" ? "again " : ""}(try ${attempt}).`,
          );
        }
        return;
      } catch (error) {
        if (this.#isClosed) return;
        this.failedTries++;
        this.#reason = reasonOf(error);
        // Up to a quarter less, so instances started together do not retry in step.
        const wait = Math.round(delay * (0.75 + Math.random() / 4));
        this.#logger.warn(
          `The database ${this.name} is unavailable (try ${attempt}: ${this.#reason}); trying again in ${(wait / 1000).toFixed(1)} s.`,
        );
        try {
          await sleep(wait, undefined, { signal: this.#stop.signal });
        } catch {
          return;
        }
      }
    }
  }
}

/**
 * Why the database cannot be used, in one short line: the database's own error, or the
 * innermost network error (a stack trace says nothing more to an operator here).
 */
function reasonOf(error: unknown): string {
  let inner = error;
  for (let depth = 0; depth < 5 && inner instanceof Error && inner.cause !== undefined; depth++)
    inner = inner.cause;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return describeError(inner);
  if (inner instanceof Error) {
    const message = redactUrls(inner.message.split("\n")[0] ?? "");
    return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
  }
  return describeError(error);
}

/**
 * The database as logs and answers name it, without credentials: `Postgres database
 * "tandem" on db:5432`, or `PGlite in ./.data`.
 */
export function databaseName(env: { DATABASE_URL?: string | undefined; DATA_DIR: string }): string {
  if (!env.DATABASE_URL) return `PGlite in ${env.DATA_DIR}`;
  const url = new URL(env.DATABASE_URL);
  const name = decodeURIComponent(url.pathname.replace(/^\//, "")) || url.username || "postgres";
  return `Postgres database "${name}" on ${url.hostname}:${url.port || 5432}`;
}
