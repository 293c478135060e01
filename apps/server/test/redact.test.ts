import { describe, expect, test } from "vitest";
import { redactForUsers, redactUrl, redactUrls } from "../src/http/redact.ts";

describe("URLs in logs", () => {
  test.each([
    ["postgres://tandem:s3cret@db.internal:5432/tandem", "postgres://***@db.internal:5432/tandem"],
    ["http://127.0.0.1:11434/v1?key=sk-abc", "http://127.0.0.1:11434/v1?***"],
    ["https://user@models.example.com/v1", "https://***@models.example.com/v1"],
    ["https://models.example.com/v1", "https://models.example.com/v1"],
  ])("%s is logged as %s", (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  test("every URL in a line is redacted, the rest of the line kept", () => {
    expect(redactUrls("fetch failed for http://a:b@host:1/x?token=t (retrying)")).toBe(
      "fetch failed for http://***@host:1/x?*** (retrying)",
    );
  });
});

describe("model errors shown to users", () => {
  test.each([
    [
      "Cannot connect to API: connect ECONNREFUSED 10.0.0.5:11434",
      "Cannot connect to API: connect ECONNREFUSED",
    ],
    ["getaddrinfo ENOTFOUND models.corp.internal", "getaddrinfo ENOTFOUND"],
    ["Not Found: http://models.internal:8000/v1/chat/completions", "Not Found: the model server"],
    ["Incorrect API key provided: sk-proj-abcdefgh1234", "Incorrect API key provided: ***"],
    ["Authorization: Bearer abcdefghijklmnop rejected", "Authorization: Bearer *** rejected"],
    ['{"api_key": "xyz-secret"}', '{"api_key": "***"}'],
    ["connect ECONNREFUSED [::1]:8080", "connect ECONNREFUSED"],
    ["upstream 192.168.0.10 timed out", "upstream an address timed out"],
  ])("%j becomes %j", (raw, shown) => {
    expect(redactForUsers(raw)).toBe(shown);
  });

  test("what a user can act on stays", () => {
    expect(redactForUsers("Rate limit reached for requests. Please try again in 20s.")).toBe(
      "Rate limit reached for requests. Please try again in 20s.",
    );
  });
});
