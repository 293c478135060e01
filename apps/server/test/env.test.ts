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
});
