import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { ApiError } from "./api-error.ts";

/** The host names a browser on this machine reaches the server by, at any port. */
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The methods that change something, and so must come from one of our own pages. */
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Answers 421 to a request whose Host is not ours: a loopback name, or the host of
 * `publicUrl`. A page on another site that points its own name at 127.0.0.1 (DNS
 * rebinding) sends its own name as the Host, so it never reaches the API.
 */
export function hostAllowlist(publicUrl: string | undefined): MiddlewareHandler {
  const publicHost = publicUrl === undefined ? undefined : new URL(publicUrl).host;
  return async (c, next) => {
    const { host, hostname } = new URL(c.req.url);
    if (!LOOPBACK_HOSTS.has(hostname) && host !== publicHost) {
      const error = new ApiError("misdirected_request", `This server does not answer for the host ${host}`);
      return c.json(error.toBody(), error.status);
    }
    await next();
  };
}

/**
 * Answers 403 to a write (POST, PUT, PATCH, DELETE) whose `Origin` is not ours: the
 * request's own origin (its Host passed the allowlist) or `publicUrl`'s. Browsers send
 * `Origin` on every such request, cross-site or not; a write without one is refused too,
 * so every client says where it comes from (docs/api.md).
 */
export function sameOriginWrites(publicUrl: string | undefined): MiddlewareHandler {
  const publicOrigin = publicUrl === undefined ? undefined : new URL(publicUrl).origin;
  return async (c, next) => {
    if (UNSAFE_METHODS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (!isOurOrigin(origin, new URL(c.req.url).host, publicOrigin)) {
        const error = new ApiError(
          "cross_origin",
          origin === undefined
            ? "A write needs an Origin header naming this server"
            : `Writes from ${origin} are not accepted`,
        );
        return c.json(error.toBody(), error.status);
      }
    }
    await next();
  };
}

function isOurOrigin(origin: string | undefined, ownHost: string, publicOrigin: string | undefined): boolean {
  if (origin === undefined || origin === "null") return false;
  if (origin === publicOrigin) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host === ownHost;
  } catch {
    return false;
  }
}

/**
 * The Content-Security-Policy of every response. The app is its own origin's scripts,
 * styles and fonts; Shiki's highlighter compiles its grammar engine from WebAssembly
 * (`'wasm-unsafe-eval'`, which allows no JavaScript eval); images only from this origin
 * and `data:`/`blob:` URLs, so a reply's markdown cannot make the browser fetch a remote
 * image. Nothing may frame the app, and forms post nowhere else.
 */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'", "'wasm-unsafe-eval'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:", "blob:"],
  fontSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  workerSrc: ["'self'"],
  manifestSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Security headers on every response (API, app shell, assets): the CSP above,
 * `X-Content-Type-Options: nosniff`, `X-Frame-Options`, `Referrer-Policy: no-referrer`
 * and the rest of hono's defaults. HSTS is left to whatever terminates TLS in front of
 * the server, which knows whether the whole domain is HTTPS.
 */
export const securityHeaders = () =>
  secureHeaders({
    contentSecurityPolicy,
    strictTransportSecurity: false,
    xFrameOptions: "DENY",
  });
