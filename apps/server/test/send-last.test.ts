import { randomUUID } from "node:crypto";
import { createDb, type DbHandle } from "@tandem/db/client";
import { type LastStatement, sendLast } from "@tandem/db/send-last";
import { LOCAL_OWNER } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rowsOf } from "../src/driver-rows.ts";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";

// A transaction's last statement sent with its COMMIT on Postgres, inside the transaction
// on PGlite (what the change-log append does): what is kept when it succeeds and when it fails.
describe.each(backends)("sendLast on %s", (kind) => {
  let database: TestDatabase | undefined;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    handle = createDb(database.env);
    await handle.migrate();
  });

  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  const names = async (id: string) =>
    rowsOf<{ name: string }>(await handle.db.execute(sql`select name from projects where id = ${id}`)).map(
      (row) => row.name,
    );
  const insertProject = (id: string) =>
    sql`insert into projects (id, name, owner_id) values (${id}, 'Sent with its commit', ${LOCAL_OWNER.id})`;

  /** Runs `last` as the last statement of a transaction that first inserts project `id`, the way the change-log append runs. */
  const lastOf = async (id: string, last: ReturnType<typeof sql>) => {
    let sent: LastStatement | undefined;
    const committed = handle.db.transaction(async (tx) => {
      await tx.execute(insertProject(id));
      sent = sendLast(tx, last);
      if (!sent.withCommit) await sent.rows;
    });
    await committed.catch(() => {});
    if (!sent) throw new Error("The transaction did not run");
    return { sent, committed };
  };

  test("the last statement runs inside the transaction: it sees what the transaction wrote, and it is kept", async () => {
    const id = randomUUID();
    const { sent, committed } = await lastOf(
      id,
      sql`select count(*)::int as n from projects where id = ${id}`,
    );
    // Postgres sends it with the COMMIT; PGlite runs it the usual way.
    expect(sent.withCommit).toBe(kind === "postgres");
    await committed;
    expect(await sent.rows).toEqual([{ n: 1 }]);
    expect(await names(id)).toEqual(["Sent with its commit"]);
  });

  test("when the last statement fails, nothing of the transaction is kept and its rows reject", async () => {
    const id = randomUUID();
    const { sent } = await lastOf(
      id,
      sql`select 1 / (count(*)::int - 1) as n from projects where id = ${id}`,
    );
    // Drizzle wraps PGlite's error ("Failed query: …"), with the database's as its cause.
    const failure = (await sent.rows.then(
      () => new Error("It did not fail"),
      (error: Error) => error,
    )) as Error;
    expect(`${failure.message} ${String(failure.cause)}`).toMatch(/division by zero/);
    expect(await names(id)).toEqual([]);
  });
});
