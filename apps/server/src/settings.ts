/**
 * Every default setting of the server, in one place: `env.ts` offers them as the
 * environment's defaults, and the feed hub and the assistant fall back to them when a
 * caller (a test) gives none.
 */
export const defaults = {
  port: 3000,
  host: "127.0.0.1",
  dataDir: "./.data",
  /**
   * The address people reach this server at (behind a proxy, on a network), e.g.
   * https://tandem.example.com: its host is allowed besides the loopback names, and its
   * origin may write. Unset: only loopback hosts are served.
   */
  publicUrl: undefined as string | undefined,
  /** Whether people may make accounts (AUTH=accounts). */
  allowSignup: true,
  /** Sign-in attempts per email and client address within the window before 429. */
  signInMaxAttempts: 10,
  /** The sign-in throttle's window. */
  signInWindowMs: 15 * 60_000,
  /** Replies one user may have being written at once (across instances). */
  generationsPerUser: 2,
  /** Replies one user may start per UTC day. */
  chatDailyLimit: 200,
  /** Change-feed connections one user may hold open on one instance. */
  feedConnectionsPerUser: 20,
  /** The largest project file `POST /api/projects/import` takes (every other body: 1 MiB). */
  importMaxBytes: 20 * 1024 * 1024,
  /** The offline assistant's pace, per token. */
  tokenDelayMs: 20,
  /** How often a growing reply's text is written to its row. */
  flushMs: 250,
  /** How often a running generation tells the others it is alive. */
  heartbeatMs: 2000,
  /** A generation whose heartbeat is older than this is taken for dead and marked interrupted. */
  staleMs: 10_000,
  /** The most tokens a reply may have: the model is asked to stop there. */
  modelMaxOutputTokens: 4096,
  /** A model that sends nothing for this long fails the reply. */
  modelChunkTimeoutMs: 60_000,
  /** A reply the model has not finished in this long fails. */
  modelTimeoutMs: 10 * 60_000,
  /** The most characters of earlier messages sent to the model (the newest ones). */
  modelHistoryChars: 100_000,
  /** How long the change log keeps an entry; a client further behind refetches its data. */
  retentionMs: 24 * 60 * 60 * 1000,
  /** How often an idle change feed connection gets a comment line, so proxies keep it open. */
  keepAliveMs: 15_000,
  /** The feed's safety net: read the log this often even without a notification. */
  pollMs: 2000,
  /** How often to trim the log at most (by default a quarter of the retention, at most this). */
  trimEveryMs: 5 * 60 * 1000,
  /**
   * The feed sends a batch of changes at most this often (a read of the log, or the
   * changes this instance wrote, handed over): a burst of writes is one batch, and one
   * write per feed connection, instead of one per write. The first change after a quiet
   * spell goes at once.
   */
  readGapMs: 20,
  /** Change-log entries per read. */
  batchSize: 500,
  /** The latest changes the feed keeps in memory (frame bytes), so a client resuming nearby reads no database. */
  recentBytes: 4 * 1024 * 1024,
  /** The first wait before trying an unavailable database again; it doubles up to the most. */
  databaseRetryMinMs: 250,
  /** The longest wait between two tries of an unavailable database. */
  databaseRetryMaxMs: 10_000,
  /** A statement running longer than this is cancelled (Postgres `statement_timeout`). */
  databaseStatementTimeoutMs: 30_000,
  /**
   * A statement waiting longer than this for a lock fails (Postgres `lock_timeout`): a
   * migration lock held by a stuck instance fails the try, which is retried, instead of
   * hanging the start.
   */
  databaseLockTimeoutMs: 10_000,
  /**
   * SIGTERM: how long the server may take to stop (running replies finish in the first
   * half, or are stored as interrupted); then it exits regardless.
   */
  shutdownTimeoutMs: 10_000,
  /** A port of its own for GET /metrics (any client); unset, /metrics answers loopback clients on PORT. */
  metricsPort: undefined as number | undefined,
  /** pino's level: fatal, error, warn, info, debug, trace or silent. */
  logLevel: "info",
} as const;
