import { projectStatuses } from "@tandem/shared";
import { check, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { oneOf } from "./one-of.ts";
import { users } from "./users.ts";

export const projects = pgTable(
  "projects",
  {
    id: uuid().primaryKey(),
    name: text().notNull(),
    /** What the model is told first in every reply of this project (its system message); empty: nothing. */
    instructions: text().notNull().default(""),
    status: text({ enum: projectStatuses }).notNull().default("active"),
    ownerId: uuid("owner_id")
      .notNull()
      .references(() => users.id),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    version: integer().notNull().default(1),
  },
  (table) => [check("projects_status_check", oneOf(table.status, projectStatuses))],
);

export type ProjectRow = typeof projects.$inferSelect;
