import { changeEntities, changeOps } from "@tandem/shared";
import { bigserial, check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { oneOf } from "./one-of.ts";

/**
 * The ordered feed of committed changes: every write appends its rows here in its own
 * transaction, and `GET /api/changes` serves them by position. Positions are handed out
 * in commit order (the append holds a transaction-level advisory lock until commit), so
 * a reader that has everything up to a position can never have a later commit skip
 * below it. Old entries are trimmed by age; see change-log-trim.ts.
 */
export const changeLog = pgTable(
  "change_log",
  {
    position: bigserial({ mode: "bigint" }).primaryKey(),
    entity: text({ enum: changeEntities }).notNull(),
    op: text({ enum: changeOps }).notNull(),
    id: uuid().notNull(),
    projectId: uuid("project_id").notNull(),
    /** The row after the change (for a delete, as it was), in the API's wire shape. */
    row: jsonb().$type<Record<string, unknown>>().notNull(),
    at: timestamp({ withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [
    index("change_log_at_idx").on(table.at),
    check("change_log_entity_check", oneOf(table.entity, changeEntities)),
    check("change_log_op_check", oneOf(table.op, changeOps)),
  ],
);

export type ChangeLogRow = typeof changeLog.$inferSelect;
export type NewChangeLogRow = typeof changeLog.$inferInsert;
