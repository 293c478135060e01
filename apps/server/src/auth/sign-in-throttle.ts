import type { Db } from "@tandem/db/client";
import { signInAttempts } from "@tandem/db/schema";
import { eq, sql } from "drizzle-orm";

export interface SignInThrottleSettings {
  /** Sign-in attempts per email and client address within `windowMs` before 429. */
  maxAttempts: number;
  /** How long one count lasts, from its first attempt. */
  windowMs: number;
}

/**
 * Sign-in attempts per (email, client address), counted in the database so every
 * instance sees the same count. An attempt is counted before the password is checked
 * (one upsert, atomic), so parallel guesses cannot slip past the limit together; a
 * successful sign-in clears the count. Answers the seconds to wait when over the limit.
 */
export class SignInThrottle {
  readonly #db: Db;
  readonly settings: SignInThrottleSettings;

  constructor(db: Db, settings: SignInThrottleSettings) {
    this.#db = db;
    this.settings = settings;
  }

  /** Counts an attempt; undefined when it may go on, else the seconds until the window ends. */
  async attempt(email: string, address: string): Promise<number | undefined> {
    const windowMs = this.settings.windowMs;
    const expired = sql`${signInAttempts.windowStart} < now() - (${windowMs}::integer * interval '1 millisecond')`;
    const [row] = await this.#db
      .insert(signInAttempts)
      .values({ key: keyOf(email, address), attempts: 1 })
      .onConflictDoUpdate({
        target: signInAttempts.key,
        set: {
          attempts: sql`case when ${expired} then 1 else ${signInAttempts.attempts} + 1 end`,
          windowStart: sql`case when ${expired} then now() else ${signInAttempts.windowStart} end`,
        },
      })
      .returning({
        attempts: signInAttempts.attempts,
        waitMs: sql<string>`extract(epoch from (${signInAttempts.windowStart} + (${windowMs}::integer * interval '1 millisecond') - now())) * 1000`,
      });
    if (!row || row.attempts <= this.settings.maxAttempts) return undefined;
    return Math.max(1, Math.ceil(Number(row.waitMs) / 1000));
  }

  /** A good password: the count starts again. */
  async succeeded(email: string, address: string): Promise<void> {
    await this.#db.delete(signInAttempts).where(eq(signInAttempts.key, keyOf(email, address)));
  }

  /** Drops counts whose window has passed (they would restart anyway); keeps the table small. */
  async sweep(): Promise<void> {
    await this.#db
      .delete(signInAttempts)
      .where(
        sql`${signInAttempts.windowStart} < now() - (${this.settings.windowMs}::integer * interval '1 millisecond')`,
      );
  }
}

const keyOf = (email: string, address: string) => `${email.trim().toLowerCase()}\n${address}`;
