import { date, integer, pgTable, primaryKey, uuid } from "drizzle-orm/pg-core";
import { users } from "./users.ts";

/**
 * Replies started per user per UTC day: the daily cap is one upsert on this row, which
 * also serialises one user's concurrent starts (across instances) while the generation
 * limit is counted. Kept apart from the messages, so deleting them gives nothing back.
 */
export const chatUsage = pgTable(
  "chat_usage",
  {
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    day: date({ mode: "string" }).notNull(),
    replies: integer().notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.userId, table.day] })],
);
