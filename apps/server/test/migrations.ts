import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createDb, type DbHandle } from "@tandem/db/client";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { afterAll, describe, expect, test } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";

/**
 * The time one migration of a fresh database may take (as vitest.config.ts's hookTimeout
 * for the migration each file's set-up runs): PGlite takes most of it, seconds on a
 * quiet machine, tens of them on a loaded one. A test that migrates in its body adds
 * this per migration to its own timeout.
 */
export const MIGRATE_MS = 60_000;

const migrations = fileURLToPath(new URL("../../../packages/db/drizzle", import.meta.url));

/** Applies the committed migrations before `tag` only: a database as an older release left it. */
export async function migrateBefore(handle: DbHandle, tag: string) {
  const folder = mkdtempSync(join(tmpdir(), "tandem-migrations-"));
  try {
    cpSync(migrations, folder, { recursive: true });
    const journalFile = join(folder, "meta/_journal.json");
    const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: { tag: string }[] };
    const at = journal.entries.findIndex((entry) => entry.tag === tag);
    expect(at).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, at);
    writeFileSync(journalFile, JSON.stringify(journal));
    const migrate = handle.kind === "pglite" ? migratePglite : migratePostgres;
    await migrate(handle.db as never, { migrationsFolder: folder });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * One test of migration `tag` on each backend: a fresh database as the release before it
 * left it (`migrateBefore`), handed to `run`, which writes what such an install held,
 * applies the rest (`handle.migrate()`) and checks what became of it. Its two migrations
 * run in the test's body, so its timeout counts them.
 */
export function testMigration(
  suite: string,
  tag: string,
  name: string,
  run: (handle: DbHandle) => Promise<void>,
) {
  describe.each(backends)(`${suite} on %s`, (kind) => {
    let database: TestDatabase | undefined;
    let handle: DbHandle | undefined;

    afterAll(async () => {
      await handle?.close();
      await database?.drop();
    });

    test(
      name,
      async () => {
        database = await createTestDatabase(kind);
        handle = createDb(database.env);
        await migrateBefore(handle, tag);
        await run(handle);
      },
      2 * MIGRATE_MS,
    );
  });
}
