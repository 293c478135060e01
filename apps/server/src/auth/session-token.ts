import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The session token in a better-auth session cookie, when its signature is good. The
 * cookie is `encodeURIComponent(token + "." + base64(HMAC-SHA256(secret, token)))`
 * (better-call's signed cookies); checking it here, synchronously, keeps a forged or
 * stale cookie from costing a database query.
 */
export function verifiedSessionToken(cookieValue: string, secret: string): string | undefined {
  let value: string;
  try {
    value = decodeURIComponent(cookieValue);
  } catch {
    return undefined;
  }
  const dot = value.lastIndexOf(".");
  if (dot < 1) return undefined;
  const token = value.slice(0, dot);
  const given = Buffer.from(value.slice(dot + 1), "base64");
  const expected = createHmac("sha256", secret).update(token).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return token;
}

/** One cookie's value from a `Cookie` header, without parsing the others. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
