import { sql } from "drizzle-orm";
import { bigint, boolean, check, pgTable } from "drizzle-orm/pg-core";

/**
 * One row: the highest position trimming has deleted. A reader resuming from below it
 * may have missed changes and must refetch; positions have gaps (a rolled-back append
 * still used its number), so "older than the oldest entry left" could not tell.
 */
export const changeLogTrim = pgTable(
  "change_log_trim",
  {
    one: boolean().primaryKey().default(true),
    trimmedThrough: bigint("trimmed_through", { mode: "bigint" }).notNull(),
  },
  (table) => [check("change_log_trim_one_row", sql`${table.one}`)],
);
