import { describe, expect, test } from "vitest";
import { readEnv } from "../src/env.ts";

describe("the environment", () => {
  test("the assistant needs no settings: the offline model with its defaults", () => {
    expect(readEnv({})).toMatchObject({
      ASSISTANT_TOKEN_DELAY_MS: 20,
      STREAM_FLUSH_MS: 250,
      GENERATION_HEARTBEAT_MS: 2000,
      GENERATION_STALE_MS: 10_000,
    });
    expect(readEnv({}).AI_BASE_URL).toBeUndefined();
  });

  test("AI_BASE_URL without AI_MODEL stops start-up with a message naming AI_MODEL", () => {
    expect(() => readEnv({ AI_BASE_URL: "http://127.0.0.1:11434/v1" })).toThrow(
      /AI_MODEL: is required when AI_BASE_URL is set/,
    );
  });

  test("a model server is given by URL, model and an optional key", () => {
    const env = readEnv({ AI_BASE_URL: "http://127.0.0.1:11434/v1", AI_MODEL: "llama3.2", AI_API_KEY: "" });
    expect(env).toMatchObject({ AI_BASE_URL: "http://127.0.0.1:11434/v1", AI_MODEL: "llama3.2" });
    expect(env.AI_API_KEY).toBeUndefined();
  });

  test("an import takes files up to 20 MiB by default; IMPORT_MAX_BYTES changes it, in bytes", () => {
    expect(readEnv({}).IMPORT_MAX_BYTES).toBe(20 * 1024 * 1024);
    expect(readEnv({ IMPORT_MAX_BYTES: "52428800" }).IMPORT_MAX_BYTES).toBe(52_428_800);
    expect(() => readEnv({ IMPORT_MAX_BYTES: "lots" })).toThrow(/IMPORT_MAX_BYTES/);
    expect(() => readEnv({ IMPORT_MAX_BYTES: "10" })).toThrow(/IMPORT_MAX_BYTES/);
  });

  test("production settings: shutdown, database timeouts and retries, metrics and log level, with defaults", () => {
    expect(readEnv({})).toMatchObject({
      SHUTDOWN_TIMEOUT_MS: 10_000,
      DATABASE_STATEMENT_TIMEOUT: 30_000,
      DATABASE_LOCK_TIMEOUT: 10_000,
      DATABASE_RETRY_MAX_MS: 10_000,
      LOG_LEVEL: "info",
    });
    expect(readEnv({}).METRICS_PORT).toBeUndefined();
    expect(
      readEnv({
        METRICS_PORT: "9100",
        DATABASE_LOCK_TIMEOUT: "2s",
        LOG_LEVEL: "warn",
        SHUTDOWN_TIMEOUT_MS: "30000",
      }),
    ).toMatchObject({
      METRICS_PORT: 9100,
      DATABASE_LOCK_TIMEOUT: 2000,
      LOG_LEVEL: "warn",
      SHUTDOWN_TIMEOUT_MS: 30_000,
    });
  });

  test.each([
    ["LOG_LEVEL", "loud", /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    ["SHUTDOWN_TIMEOUT_MS", "10", /SHUTDOWN_TIMEOUT_MS/],
    ["METRICS_PORT", "70000", /METRICS_PORT/],
    ["DATABASE_LOCK_TIMEOUT", "soon", /DATABASE_LOCK_TIMEOUT: must be a duration/],
  ])("%s=%j stops start-up with a message naming it", (name, value, message) => {
    expect(() => readEnv({ [name]: value })).toThrow(message);
  });

  test("the change feed keeps a day of changes and says keep-alive every 15 s by default", () => {
    expect(readEnv({})).toMatchObject({ CHANGE_LOG_RETENTION: 86_400_000, FEED_KEEPALIVE_MS: 15_000 });
  });

  test.each([
    ["24h", 86_400_000],
    ["90m", 5_400_000],
    ["3600s", 3_600_000],
    ["500ms", 500],
    ["2d", 172_800_000],
    ["1.5h", 5_400_000],
    ["60000", 60_000],
    [" 10 s ", 10_000],
  ])("CHANGE_LOG_RETENTION=%j is %d ms", (value, ms) => {
    expect(readEnv({ CHANGE_LOG_RETENTION: value }).CHANGE_LOG_RETENTION).toBe(ms);
  });

  test("a model call is capped by default: 4096 tokens, 60 s of silence, 10 min in all, 100,000 characters of history", () => {
    expect(readEnv({})).toMatchObject({
      MODEL_MAX_OUTPUT_TOKENS: 4096,
      MODEL_CHUNK_TIMEOUT: 60_000,
      MODEL_TIMEOUT: 600_000,
      MODEL_HISTORY_CHARS: 100_000,
    });
    expect(readEnv({ MODEL_TIMEOUT: "30m", MODEL_CHUNK_TIMEOUT: "90s" })).toMatchObject({
      MODEL_TIMEOUT: 1_800_000,
      MODEL_CHUNK_TIMEOUT: 90_000,
    });
  });

  test("PUBLIC_URL is unset by default (only loopback hosts are served) and taken as a URL", () => {
    expect(readEnv({}).PUBLIC_URL).toBeUndefined();
    expect(readEnv({ PUBLIC_URL: "https://tandem.example.com" }).PUBLIC_URL).toBe(
      "https://tandem.example.com",
    );
  });

  test.each([
    [{ CHANGE_LOG_RETENTION: "a day" }, /CHANGE_LOG_RETENTION: must be a duration such as 24h/],
    [{ CHANGE_LOG_RETENTION: "0" }, /CHANGE_LOG_RETENTION/],
    [{ CHANGE_LOG_RETENTION: "-5m" }, /CHANGE_LOG_RETENTION/],
    [{ CHANGE_LOG_RETENTION: "5 weeks" }, /CHANGE_LOG_RETENTION/],
    [{ FEED_KEEPALIVE_MS: "soon" }, /FEED_KEEPALIVE_MS/],
    [{ FEED_KEEPALIVE_MS: "5" }, /FEED_KEEPALIVE_MS/],
    [{ AI_BASE_URL: "not a url", AI_MODEL: "x" }, /AI_BASE_URL/],
    [{ STREAM_FLUSH_MS: "fast" }, /STREAM_FLUSH_MS/],
    [{ PUBLIC_URL: "tandem.example.com" }, /PUBLIC_URL/],
    [{ MODEL_MAX_OUTPUT_TOKENS: "0" }, /MODEL_MAX_OUTPUT_TOKENS/],
    [{ MODEL_TIMEOUT: "30d" }, /MODEL_TIMEOUT: must be at most 24 days/],
    [{ MODEL_CHUNK_TIMEOUT: "soon" }, /MODEL_CHUNK_TIMEOUT/],
    [{ MODEL_HISTORY_CHARS: "10" }, /MODEL_HISTORY_CHARS/],
    [{ PUBLIC_URL: "ftp://tandem.example.com" }, /PUBLIC_URL: must be an http\(s\) URL/],
    [{ ASSISTANT_TOKEN_DELAY_MS: "-1" }, /ASSISTANT_TOKEN_DELAY_MS/],
    [
      { GENERATION_HEARTBEAT_MS: "5000", GENERATION_STALE_MS: "6000" },
      /GENERATION_STALE_MS: must be more than twice/,
    ],
  ])("a wrong value (%j) names its variable", (source, message) => {
    expect(() => readEnv(source)).toThrow(message);
  });

  test("AUTH is local on a loopback HOST by default, with sign-up allowed and the default limits", () => {
    expect(readEnv({})).toMatchObject({
      AUTH: "local",
      ALLOW_SIGNUP: true,
      CHAT_DAILY_LIMIT: 200,
      CHAT_MAX_RUNNING: 2,
      FEED_MAX_CONNECTIONS_PER_USER: 20,
      SIGN_IN_MAX_ATTEMPTS: 10,
      SIGN_IN_WINDOW: 900_000,
    });
    expect(readEnv({ HOST: "localhost" }).AUTH).toBe("local");
    expect(readEnv({ HOST: "::1" }).AUTH).toBe("local");
  });

  test.each(["0.0.0.0", "192.168.1.20", "::"])(
    "HOST=%s without AUTH=accounts refuses to start, naming AUTH",
    (host) => {
      expect(() => readEnv({ HOST: host })).toThrow(/AUTH: must be "accounts" when HOST/);
      expect(() => readEnv({ HOST: host, AUTH: "local" })).toThrow(/AUTH: must be "accounts"/);
      expect(readEnv({ HOST: host, AUTH: "accounts" }).AUTH).toBe("accounts");
    },
  );

  test("AUTH takes only local or accounts", () => {
    expect(() => readEnv({ AUTH: "none" })).toThrow(/AUTH: must be "local" or "accounts"/);
  });

  test("accounts mode on Postgres needs AUTH_SECRET (every instance signs with it); on PGlite it may be left out", () => {
    const postgres = { AUTH: "accounts", DATABASE_URL: "postgres://db.internal/tandem" };
    expect(() => readEnv(postgres)).toThrow(/AUTH_SECRET: is required with DATABASE_URL/);
    expect(readEnv({ ...postgres, AUTH_SECRET: "s".repeat(32) }).AUTH_SECRET).toBe("s".repeat(32));
    expect(readEnv({ AUTH: "accounts" }).AUTH_SECRET).toBeUndefined();
    // Local mode signs nothing: no secret needed with Postgres either.
    expect(readEnv({ DATABASE_URL: "postgres://db.internal/tandem" }).AUTH).toBe("local");
  });

  test("AUTH_SECRET shorter than 32 characters is refused", () => {
    expect(() => readEnv({ AUTH: "accounts", AUTH_SECRET: "short" })).toThrow(
      /AUTH_SECRET: must be at least 32/,
    );
  });

  test.each([
    ["false", false],
    ["0", false],
    ["no", false],
    ["TRUE", true],
    ["1", true],
  ])("ALLOW_SIGNUP=%s is %s", (value, allowed) => {
    expect(readEnv({ ALLOW_SIGNUP: value }).ALLOW_SIGNUP).toBe(allowed);
  });

  test("ALLOW_SIGNUP that is not a yes or no is refused", () => {
    expect(() => readEnv({ ALLOW_SIGNUP: "maybe" })).toThrow(/ALLOW_SIGNUP: must be true or false/);
  });

  test("the limits take whole numbers of at least 1", () => {
    expect(readEnv({ CHAT_DAILY_LIMIT: "5", FEED_MAX_CONNECTIONS_PER_USER: "3" })).toMatchObject({
      CHAT_DAILY_LIMIT: 5,
      FEED_MAX_CONNECTIONS_PER_USER: 3,
    });
    expect(() => readEnv({ CHAT_DAILY_LIMIT: "0" })).toThrow(/CHAT_DAILY_LIMIT/);
    expect(() => readEnv({ CHAT_MAX_RUNNING: "0" })).toThrow(/CHAT_MAX_RUNNING/);
    expect(() => readEnv({ FEED_MAX_CONNECTIONS_PER_USER: "-1" })).toThrow(/FEED_MAX_CONNECTIONS_PER_USER/);
    expect(() => readEnv({ SIGN_IN_MAX_ATTEMPTS: "x" })).toThrow(/SIGN_IN_MAX_ATTEMPTS/);
    expect(readEnv({ SIGN_IN_WINDOW: "1h" }).SIGN_IN_WINDOW).toBe(3_600_000);
  });
});
