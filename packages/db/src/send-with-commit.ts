import { is, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { PostgresJsSession } from "drizzle-orm/postgres-js";
import type { TransactionSql } from "postgres";
import type { Tx } from "./client.ts";

const dialect = new PgDialect();

/**
 * Sends a transaction's last statement so that its COMMIT follows in the same round trip
 * (Postgres): the statement goes out at once, unawaited, on the transaction's connection,
 * and the COMMIT that `db.transaction` sends when its callback returns is queued right
 * behind it. A lock the statement takes (the change log's order lock, held by every
 * writer in turn) is then held only while the database runs it and commits, never while
 * its answer travels to this process, waits for a busy event loop, and a COMMIT travels
 * back.
 *
 * Answers the statement's rows once it has run, or undefined when the transaction is not
 * on Postgres (PGlite: one connection, nobody else's write to hold up): run the statement
 * the usual way there. On Postgres the callback must return right after this and issue
 * nothing more: anything issued after it would follow the COMMIT, outside the
 * transaction. When the statement fails, the database answers the COMMIT as a rollback:
 * nothing of the transaction is kept, and the rows' promise rejects with the failure.
 */
export function sendWithCommit(tx: Tx, statement: SQL): Promise<Record<string, unknown>[]> | undefined {
  const session = (tx as unknown as { session?: unknown }).session;
  if (!is(session, PostgresJsSession)) return undefined;
  // The transaction-scoped client `db.transaction` made (postgres.js `begin`).
  const client = session.client as unknown as TransactionSql;
  const { sql, params } = dialect.sqlToQuery(statement);
  // `execute` hands the query to the connection now (a microtask on); `then` would wait.
  // Prepared, so that it is not described first (a round trip of its own, which would
  // hold the COMMIT back until it is answered).
  const query = client.unsafe(sql, params as never[], { prepare: true }).execute();
  const rows = Promise.resolve(query).then((result) => [...result] as Record<string, unknown>[]);
  // Awaited by the caller after the COMMIT: until then a failure must not count as unhandled.
  rows.catch(() => {});
  return rows;
}
