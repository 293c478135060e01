/** A URL anywhere in a text: a scheme, `://`, and everything up to a space or a quote. */
const URL_PATTERN = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * A URL fit for a log: its user and password and its query (which may hold a key) are
 * replaced by `***`; scheme, host, port and path stay, so the log still says where.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//***@").replace(/\?.*$/, "?***");
  }
  if (parsed.username || parsed.password) {
    parsed.username = "***";
    parsed.password = "";
  }
  if (parsed.search) parsed.search = "?***";
  parsed.hash = "";
  return parsed.href;
}

/** Every URL in `text` redacted as `redactUrl` does: for log lines that may quote one. */
export const redactUrls = (text: string) => text.replace(URL_PATTERN, (url) => redactUrl(url));

const SECRET_PATTERNS: [RegExp, string][] = [
  // Any URL: its host is internal, its user, password and query may be credentials.
  [URL_PATTERN, "the model server"],
  // Node's network errors name the address: "connect ECONNREFUSED 10.0.0.5:11434",
  // "getaddrinfo ENOTFOUND models.internal".
  [
    /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b[ \t]+[^\s,;)]+/g,
    "$1",
  ],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, "an address"],
  [/\[[0-9a-f:]*:[0-9a-f:]*\](?::\d+)?/gi, "an address"],
  // Keys and tokens, by their usual spellings.
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 ***"],
  [/\b(api[_-]?key|access[_-]?token|token|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi, "$1$2***"],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, "***"],
];

/**
 * A model's error as users may read it (it is stored on the reply and shown in the
 * chat): no URL, host address or credential of the model server, which may be internal.
 * What is left says what went wrong ("Unauthorized", "connect ECONNREFUSED").
 */
export function redactForUsers(text: string): string {
  let result = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) result = result.replace(pattern, replacement);
  return result;
}
