import { is, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { PostgresJsSession } from "drizzle-orm/postgres-js";
import type { TransactionSql } from "postgres";
import type { Tx } from "./client.ts";

const dialect = new PgDialect();

/** A transaction's last statement, sent: its rows, and whether its COMMIT travels with it. */
export interface LastStatement {
  /** The statement's rows once it has run; rejects with its failure. */
  rows: Promise<Record<string, unknown>[]>;
  /**
   * True on Postgres: the statement is on its way and the COMMIT goes right behind it, so
   * the transaction's callback must return without awaiting `rows` (they come after the
   * commit). False on PGlite: the statement runs inside the transaction, and the callback
   * awaits `rows` before it returns.
   */
  withCommit: boolean;
}

/**
 * Sends a transaction's last statement so that, on Postgres, its COMMIT follows in the
 * same round trip: the statement goes out at once, unawaited, on the transaction's
 * connection, and the COMMIT that `db.transaction` sends when its callback returns is
 * queued right behind it. A lock the statement takes (the change log's order lock, held
 * by every writer in turn) is then held only while the database runs it and commits,
 * never while its answer travels to this process, waits for a busy event loop, and a
 * COMMIT travels back. After it the callback issues nothing more: anything issued later
 * would follow the COMMIT, outside the transaction. When the statement fails, the
 * database answers the COMMIT as a rollback: nothing of the transaction is kept, and
 * `rows` rejects with the failure.
 *
 * PGlite has one connection and nobody else's write to hold up: there the statement runs
 * inside the transaction, the usual way.
 */
export function sendLast(tx: Tx, statement: SQL): LastStatement {
  const session = (tx as unknown as { session?: unknown }).session;
  if (!is(session, PostgresJsSession)) {
    const rows = Promise.resolve(tx.execute(statement)).then(
      (result) => (result as unknown as { rows: Record<string, unknown>[] }).rows,
    );
    return { rows, withCommit: false };
  }
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
  return { rows, withCommit: true };
}
