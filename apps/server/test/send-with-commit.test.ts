import { randomUUID } from "node:crypto";
import { createDb, type DbHandle } from "@tandem/db/client";
import { sendWithCommit } from "@tandem/db/send-with-commit";
import { LOCAL_OWNER } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rowsOf } from "../src/driver-rows.ts";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";

// A transaction's last statement sent with its COMMIT (what the change-log append does on
// Postgres): what is kept when it succeeds and when it fails.
describe.each(backends)("sendWithCommit on %s", (kind) => {
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

  test(
    kind === "postgres"
      ? "the last statement's rows come after the COMMIT, and what the transaction wrote is kept"
      : "PGlite: undefined, so the caller runs the statement the usual way",
    async () => {
      const id = randomUUID();
      let rows: Promise<Record<string, unknown>[]> | undefined;
      await handle.db.transaction(async (tx) => {
        await tx.execute(insertProject(id));
        rows = sendWithCommit(tx, sql`select count(*)::int as n from projects where id = ${id}`);
      });
      if (kind === "pglite") {
        expect(rows).toBeUndefined();
        return;
      }
      // It ran inside the transaction: it saw the row the transaction wrote.
      expect(await rows).toEqual([{ n: 1 }]);
      expect(await names(id)).toEqual(["Sent with its commit"]);
    },
  );

  test.runIf(kind === "postgres")(
    "when the last statement fails, nothing of the transaction is kept and its rows reject",
    async () => {
      const id = randomUUID();
      let rows: Promise<Record<string, unknown>[]> | undefined;
      await handle.db.transaction(async (tx) => {
        await tx.execute(insertProject(id));
        rows = sendWithCommit(tx, sql`select 1 / (count(*)::int - 1) as n from projects where id = ${id}`);
      });
      await expect(rows).rejects.toThrow(/division by zero/);
      expect(await names(id)).toEqual([]);
    },
  );
});
