import { memberRoles } from "@tandem/shared";
import { check, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { oneOf } from "./one-of.ts";
import { projects } from "./projects.ts";
import { users } from "./users.ts";

/**
 * Who may see and change a project: every route that names a project looks here (by the
 * primary key), and answers 404 to anyone without a row. The owner has a row too.
 */
export const projectMembers = pgTable(
  "project_members",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text({ enum: memberRoles }).notNull().default("member"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.userId] }),
    // A user's project list.
    index("project_members_user_idx").on(table.userId),
    check("project_members_role_check", oneOf(table.role, memberRoles)),
  ],
);

export type ProjectMemberRow = typeof projectMembers.$inferSelect;
