import { type MessagePart, messageRoles, messageStatuses } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { oneOf } from "./one-of.ts";
import { projects } from "./projects.ts";

export const messages = pgTable(
  "messages",
  {
    id: uuid().primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    role: text({ enum: messageRoles }).notNull(),
    content: text().notNull().default(""),
    parts: jsonb().$type<MessagePart[]>().notNull().default([]),
    status: text({ enum: messageStatuses }).notNull().default("complete"),
    error: text(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    version: integer().notNull().default(1),
  },
  (table) => [
    index("messages_project_created_idx").on(table.projectId, table.createdAt, table.id),
    // The sweeper looks for replies left streaming without a live generation.
    index("messages_streaming_idx").on(table.id).where(sql`${table.status} = 'streaming'`),
    check("messages_role_check", oneOf(table.role, messageRoles)),
    check("messages_status_check", oneOf(table.status, messageStatuses)),
  ],
);

export type MessageRow = typeof messages.$inferSelect;
