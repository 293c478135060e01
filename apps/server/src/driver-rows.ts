import { messages } from "@tandem/db/schema";
import type { Table } from "drizzle-orm";
import { getTableColumns, type SQL, sql } from "drizzle-orm";

/** The rows of `tx.execute`: postgres.js answers an array of them, PGlite an object holding them. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/**
 * A table's rows as hand-written SQL returns them (`returning ${columnList}`), mapped by
 * the table's own columns, as Drizzle's query builders would map them. For the hot path:
 * building a statement with Drizzle's builders costs a few hundred µs per request (its
 * entity checks over every column), a plain `sql` template a few µs.
 */
export function tableRows<T extends Table>(table: T) {
  const columns = Object.entries(getTableColumns(table));
  return {
    /** Every column, in the table's order, for `returning` or `select`. */
    columnList: sql.raw(columns.map(([, column]) => `"${column.name}"`).join(", ")) as SQL,
    /** One raw row (column names, driver values) as the table's row type. */
    fromDriver(raw: Record<string, unknown>): T["$inferSelect"] {
      const row: Record<string, unknown> = {};
      for (const [key, column] of columns) {
        const value = raw[column.name];
        row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
      }
      return row as T["$inferSelect"];
    },
  };
}

/** The messages table's columns and row mapping, for the hot paths that write or read messages in plain SQL. */
export const messageRows = tableRows(messages);
