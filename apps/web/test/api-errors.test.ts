import { describe, expect, test } from "vitest";
import { ApiRequestError, describeError, errorOf, inAbout } from "../src/lib/api.ts";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  headers: new Headers(headers),
  json: async () => body,
});

describe("reading a refused answer", () => {
  test("our envelope gives its code and message", async () => {
    const error = await errorOf(answer(404, { error: { code: "user_not_found", message: "No such user" } }));
    expect(error).toMatchObject({ status: 404, code: "user_not_found", message: "No such user" });
  });

  test("better-auth's bare { code, message } is read too", async () => {
    const error = await errorOf(
      answer(401, { code: "INVALID_EMAIL_OR_PASSWORD", message: "Invalid email or password" }),
    );
    expect(error).toMatchObject({ status: 401, code: "INVALID_EMAIL_OR_PASSWORD" });
  });

  test("a 429 carries Retry-After, and the user is told when to try again", async () => {
    const error = await errorOf(
      answer(
        429,
        { error: { code: "daily_limit", message: "That is today's last reply" } },
        { "retry-after": "120" },
      ),
    );
    expect(error.retryAfterSeconds).toBe(120);
    expect(describeError(error)).toBe("That is today's last reply (try again in 2 minutes)");
  });

  test("an unreadable body still says the status", async () => {
    const error = await errorOf({
      status: 502,
      headers: new Headers(),
      json: () => Promise.reject(new Error()),
    });
    expect(error).toBeInstanceOf(ApiRequestError);
    expect(error.message).toBe("The server answered 502");
  });
});

describe("how long to wait, in words", () => {
  test.each([
    [1, "in 1 second"],
    [40, "in 40 seconds"],
    [89, "in 89 seconds"],
    [90, "in 2 minutes"],
    [60 * 60, "in 60 minutes"],
    [3 * 60 * 60, "in 3 hours"],
  ])("%i s → %s", (seconds, words) => {
    expect(inAbout(seconds)).toBe(words);
  });
});
