import type { Db } from "@tandem/db/client";
import { accounts, sessions, users, verifications } from "@tandem/db/schema";
import { type AuthMode, LOCAL_OWNER, type SessionUser } from "@tandem/shared";
import { drizzleAdapter } from "better-auth/adapters/drizzle";
import { betterAuth } from "better-auth/minimal";
import { Access, type Caller } from "../access.ts";
import { notifySessionEnded } from "../feed/change-log.ts";
import { describeError } from "../http/database-error.ts";
import { log } from "../log.ts";
import { defaults } from "../settings.ts";
import { claimLocalProjects } from "./claim-local-projects.ts";
import { cookieValue, verifiedSessionToken } from "./session-token.ts";
import { SignInThrottle, type SignInThrottleSettings } from "./sign-in-throttle.ts";

export interface AuthOptions {
  /** `local`: no sign-in, everything runs as the local owner. `accounts`: email + password. */
  mode?: AuthMode | undefined;
  /** Signs session cookies (accounts mode): at least 32 characters, shared by every instance. */
  secret?: string | undefined;
  /** Whether new accounts may be made (accounts mode). */
  allowSignup?: boolean | undefined;
  signIn?: Partial<SignInThrottleSettings> | undefined;
  /** The address people reach the server at: its origin may sign in besides the request's own. */
  publicUrl?: string | undefined;
}

const LOCAL_CALLER: Caller = { user: { ...LOCAL_OWNER }, sessionId: undefined };

/**
 * Who is calling. In `local` mode always the local owner. In `accounts` mode better-auth
 * owns sign-up, sign-in and sign-out (its handler answers /api/auth/*); every other
 * request's cookie is checked here, and its session read by the request's `Access` with
 * one indexed query on the session's token (joined to the membership it asks about).
 */
export class AuthService {
  readonly mode: AuthMode;
  readonly allowSignup: boolean;
  readonly throttle: SignInThrottle;
  readonly #db: Db;
  readonly #secret: string;
  readonly #better: ReturnType<typeof createBetterAuth> | undefined;
  #cookieName: string | undefined;

  constructor(db: Db, options: AuthOptions = {}) {
    this.#db = db;
    this.mode = options.mode ?? "local";
    this.allowSignup = this.mode === "accounts" && (options.allowSignup ?? defaults.allowSignup);
    this.throttle = new SignInThrottle(db, {
      maxAttempts: options.signIn?.maxAttempts ?? defaults.signInMaxAttempts,
      windowMs: options.signIn?.windowMs ?? defaults.signInWindowMs,
    });
    if (this.mode === "accounts" && (options.secret === undefined || options.secret.length < 32)) {
      throw new Error("Accounts mode needs a secret of at least 32 characters (AUTH_SECRET)");
    }
    this.#secret = options.secret ?? "";
    this.#better =
      this.mode === "accounts"
        ? createBetterAuth(db, this.#secret, this.allowSignup, options.publicUrl)
        : undefined;
  }

  /** better-auth's own request handler (accounts mode). */
  get better() {
    return this.#better;
  }

  /**
   * A request's access, or undefined when it carries no session cookie with a good
   * signature (no database read: a forged or stale cookie costs nothing).
   */
  async access(cookieHeader: string | undefined): Promise<Access | undefined> {
    if (this.mode === "local") return new Access(this.#db, { known: LOCAL_CALLER });
    const raw = cookieValue(cookieHeader, await this.#sessionCookieName());
    const token = raw === undefined ? undefined : verifiedSessionToken(raw, this.#secret);
    return token === undefined ? undefined : new Access(this.#db, { token });
  }

  /**
   * The caller as better-auth sees it, for `GET /api/session`: the same answer as
   * `caller`, but better-auth also extends a session in use (and its cookie), so a
   * signed-in browser that opens the app now and then stays signed in.
   */
  async session(request: Request): Promise<{ user: SessionUser | undefined; setCookie: string[] }> {
    if (!this.#better) return { user: { ...LOCAL_OWNER }, setCookie: [] };
    // better-auth finds its base URL (allowedHosts) from the Host header, which a request
    // made in-process (app.request) carries only in its URL.
    const headers = new Headers(request.headers);
    if (!headers.has("host")) headers.set("host", new URL(request.url).host);
    const { headers: answer, response } = await this.#better.api.getSession({ headers, returnHeaders: true });
    const user = response?.user;
    return {
      user: user ? { id: user.id, name: user.name, email: user.email } : undefined,
      setCookie: answer.getSetCookie(),
    };
  }

  async #sessionCookieName(): Promise<string> {
    if (this.#cookieName === undefined) {
      const context = await this.#better?.$context;
      this.#cookieName = context?.authCookies.sessionToken.name ?? "";
    }
    return this.#cookieName;
  }
}

/** The hosts the app answers for (see hostAllowlist in http/guard.ts), at any port. */
function allowedHosts(publicUrl: string | undefined): string[] {
  const loopback = ["localhost", "127.0.0.1", "[::1]"].flatMap((host) => [host, `${host}:*`]);
  return publicUrl === undefined ? loopback : [...loopback, new URL(publicUrl).host];
}

function createBetterAuth(db: Db, secret: string, allowSignup: boolean, publicUrl: string | undefined) {
  const publicOrigin = publicUrl === undefined ? undefined : new URL(publicUrl).origin;
  return betterAuth({
    appName: "Tandem",
    secret,
    // Whatever host the request came by (the Host allowlist has passed it already).
    baseURL: { allowedHosts: allowedHosts(publicUrl) },
    basePath: "/api/auth",
    database: drizzleAdapter(db, {
      provider: "pg",
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: { enabled: true, disableSignUp: !allowSignup },
    // Sign-in is throttled by SignInThrottle (in the database, per email and address):
    // better-auth's own limiter keys on the address alone and answers in its own shape.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    // The app's Origin check (http/guard.ts) has already refused foreign writes; this
    // tells better-auth's own check which origins those are.
    trustedOrigins: (request) => [request ? new URL(request.url).origin : undefined, publicOrigin],
    advanced: {
      database: { generateId: "uuid" },
      // Cookies are Secure when the server is reached over https (PUBLIC_URL), not by NODE_ENV.
      useSecureCookies: publicUrl?.startsWith("https:") ?? false,
    },
    databaseHooks: {
      session: {
        delete: {
          // Signed out: every instance ends the feed connections opened with this session.
          after: async (session) => {
            try {
              await notifySessionEnded(db, session.id);
            } catch (error) {
              // The feeds' session check ends them at their next poll instead.
              log.error(`Telling the feeds that session ${session.id} ended failed: ${describeError(error)}`);
            }
          },
        },
      },
      user: {
        create: {
          after: async (user) => {
            try {
              await claimLocalProjects(db, user.id);
            } catch (error) {
              log.error(`Handing the local owner's projects to ${user.id} failed: ${describeError(error)}`);
            }
          },
        },
      },
    },
  });
}
