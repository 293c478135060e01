import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DbHandle } from "@tandem/db/client";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import { expect } from "vitest";

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
