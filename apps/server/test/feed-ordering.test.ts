import { randomUUID } from "node:crypto";
import type { DbHandle, Tx } from "@tandem/db/client";
import { changeLog, projects } from "@tandem/db/schema";
import { LOCAL_OWNER } from "@tandem/shared";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { appendChanges, readChangesAfter, readHead } from "../src/feed/change-log.ts";
import { toProject } from "../src/rows.ts";
import { backends, createTestDatabase, openDb, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";

/** A gate a transaction waits at until the test opens it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** A project row inserted in `tx` (its change is appended by the caller). */
async function insertProject(tx: Tx, name: string) {
  const [row] = await tx
    .insert(projects)
    .values({ id: randomUUID(), name, ownerId: LOCAL_OWNER.id })
    .returning();
  if (!row) throw new Error("No row");
  return row;
}

/** Reads everything after `cursor` like a feed reader does, and moves the cursor. */
async function readFrom(handle: DbHandle, cursor: { at: bigint }) {
  const { changes } = await readChangesAfter(handle.db, cursor.at, 1000);
  for (const change of changes) cursor.at = change.position;
  return changes.map((change) => (change.event.row as { name: string }).name);
}

/** Waits until a backend of this database is blocked on a lock (the second writer at the feed lock). */
async function untilWaitingOnLock(admin: postgres.Sql, database: string) {
  await waitFor("a writer to wait for the feed lock", async () => {
    const [row] = await admin<{ waiting: number }[]>`
      select count(*)::int as waiting from pg_stat_activity
      where datname = ${database} and wait_event_type = 'Lock'`;
    return (row?.waiting ?? 0) > 0;
  });
}

// Two real connections and two real transactions: PGlite has one connection, so only Postgres.
describe.skipIf(!backends.includes("postgres"))("feed order is commit order (Postgres)", () => {
  let database: TestDatabase | undefined;
  let handle: DbHandle | undefined;
  let admin: postgres.Sql | undefined;
  let name = "";

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    handle = await openDb(database.env);
    const url = new URL(database.env.DATABASE_URL ?? "");
    name = url.pathname.slice(1);
    admin = postgres(url.href, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await admin?.end();
    await handle?.close();
    await database?.drop();
  });

  const db = () => handle ?? fail();

  test("a transaction that started first and commits last is read after the one that committed first", async () => {
    const cursor = { at: await readHead(db().db) };
    const early = gate();
    // T1 starts first and writes its row, then stalls before its append and commit.
    let t1Wrote = false;
    const t1 = db().db.transaction(async (tx) => {
      const row = await insertProject(tx, "T1");
      t1Wrote = true;
      await early.opened;
      await appendChanges(tx, [{ entity: "project", op: "upsert", row }]);
    });
    await waitFor("T1 to write", () => t1Wrote);

    // T2 starts later, appends and commits while T1 is still open.
    await db().db.transaction(async (tx) => {
      const row = await insertProject(tx, "T2");
      await appendChanges(tx, [{ entity: "project", op: "upsert", row }]);
    });
    expect(await readFrom(db(), cursor)).toEqual(["T2"]);

    early.open();
    await t1;
    // The reader moved past T2 and still gets T1: its position is after T2's.
    expect(await readFrom(db(), cursor)).toEqual(["T1"]);
  });

  test("while one transaction holds a position uncommitted, the next writer waits and readers see neither", async () => {
    const cursor = { at: await readHead(db().db) };
    const hold = gate();
    let t1Appended = false;
    const t1 = db().db.transaction(async (tx) => {
      const row = await insertProject(tx, "A");
      await appendChanges(tx, [{ entity: "project", op: "upsert", row }]);
      t1Appended = true;
      await hold.opened;
    });
    await waitFor("A to take its position", () => t1Appended);

    let t2Done = false;
    const t2 = db()
      .db.transaction(async (tx) => {
        const row = await insertProject(tx, "B");
        await appendChanges(tx, [{ entity: "project", op: "upsert", row }]);
      })
      .then(() => {
        t2Done = true;
      });
    await untilWaitingOnLock(admin ?? fail(), name);
    expect(t2Done).toBe(false);
    expect(await readFrom(db(), cursor)).toEqual([]);

    hold.open();
    await Promise.all([t1, t2]);
    expect(await readFrom(db(), cursor)).toEqual(["A", "B"]);
  });

  test("control: without the lock, a plain sequence lets a reader skip the late commit", async () => {
    const cursor = { at: await readHead(db().db) };
    const early = gate();
    let t1Inserted = false;
    const insertRaw = (tx: Tx, row: Awaited<ReturnType<typeof insertProject>>) =>
      tx
        .insert(changeLog)
        .values({ entity: "project", op: "upsert", id: row.id, projectId: row.id, row: toProject(row) });
    const t1 = db().db.transaction(async (tx) => {
      await insertRaw(tx, await insertProject(tx, "late"));
      t1Inserted = true;
      await early.opened;
    });
    await waitFor("the late one to take its number", () => t1Inserted);
    await db().db.transaction(async (tx) => insertRaw(tx, await insertProject(tx, "early")));
    expect(await readFrom(db(), cursor)).toEqual(["early"]);
    early.open();
    await t1;
    // This is the trap the lock avoids: "late" has a smaller position and is never read.
    expect(await readFrom(db(), cursor)).toEqual([]);
  });
});

function fail(): never {
  throw new Error("Not set up");
}
