import { type MessagePart, messageRoles, messageStatuses } from "@tandem/shared";
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { oneOf } from "./one-of.ts";
import { projects } from "./projects.ts";

export const messages = pgTable(
  "messages",
  {
    id: uuid().primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /**
     * The message this one follows on its branch (null for a project's first message):
     * a user message's parent is the reply before it, a reply's the user message it
     * answers. Regenerating or editing adds a sibling; nothing is overwritten.
     */
    parentId: uuid("parent_id").references((): AnyPgColumn => messages.id, { onDelete: "cascade" }),
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
    index("messages_parent_idx").on(table.parentId),
    // The sweeper looks for replies left streaming without a live generation.
    index("messages_streaming_idx").on(table.id).where(sql`${table.status} = 'streaming'`),
    check("messages_role_check", oneOf(table.role, messageRoles)),
    check("messages_status_check", oneOf(table.status, messageStatuses)),
  ],
);

export type MessageRow = typeof messages.$inferSelect;
