import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Sign-in attempts per (email, client address), so the throttle holds across server
 * instances: a row counts the attempts of one window; a successful sign-in deletes it.
 */
export const signInAttempts = pgTable("sign_in_attempts", {
  key: text().primaryKey(),
  attempts: integer().notNull().default(0),
  windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});
