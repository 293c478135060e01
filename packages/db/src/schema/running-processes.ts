import { runningProcessStatuses } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { messages } from "./messages.ts";
import { oneOf } from "./one-of.ts";
import { projects } from "./projects.ts";
import { users } from "./users.ts";

/** The partial unique index that allows one running generation per project. */
export const ONE_RUNNING_PER_PROJECT = "running_processes_one_running_per_project";

/** One row per assistant generation: who runs it, and whether it is still alive. */
export const runningProcesses = pgTable(
  "running_processes",
  {
    id: uuid().primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    /** Who asked for it: the per-user limits count these. */
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    status: text({ enum: runningProcessStatuses }).notNull().default("running"),
    model: text().notNull(),
    instanceId: text("instance_id").notNull(),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    usage: jsonb().$type<Record<string, unknown>>(),
    error: text(),
  },
  (table) => [
    index("running_processes_project_status_idx").on(table.projectId, table.status),
    index("running_processes_message_idx").on(table.messageId),
    // A user's running generations, counted before another starts.
    index("running_processes_user_running_idx").on(table.userId).where(sql`${table.status} = 'running'`),
    // One generation at a time per project, enforced by the database against racing requests.
    uniqueIndex(ONE_RUNNING_PER_PROJECT).on(table.projectId).where(sql`${table.status} = 'running'`),
    // The sweeper looks for running processes with an old heartbeat every few seconds.
    index("running_processes_running_heartbeat_idx")
      .on(table.heartbeatAt)
      .where(sql`${table.status} = 'running'`),
    check("running_processes_status_check", oneOf(table.status, runningProcessStatuses)),
  ],
);

export type RunningProcessRow = typeof runningProcesses.$inferSelect;
