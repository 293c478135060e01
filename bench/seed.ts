/**
 * `pnpm bench:seed [--url=http://127.0.0.1:3000] [--messages=100000] [--name=…]
 * [--concurrency=32] [--database-url=postgres://…]`: makes a project of that many
 * messages in a RUNNING Tandem and prints the project's URL.
 *
 * By default every message goes through the API (the same POST /api/messages a client
 * sends, `concurrency` at once), into the change log like any other write: 300-600
 * messages a second on a quiet 2-core machine, so 100k takes minutes. With
 * `--database-url` (Postgres only: PGlite belongs to the server's process) the project is
 * still created through the API, and its messages are inserted straight into the
 * server's database in batches, in seconds; they skip the change log, so a tab that
 * already shows the project sees them after a reload.
 */
import { parseArgs } from "node:util";
import { createDb } from "@tandem/db/client";
import { Api } from "./lib/api.ts";
import { insertMessages } from "./lib/bulk-seed.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:3000" },
    messages: { type: "string", default: "100000" },
    name: { type: "string" },
    concurrency: { type: "string", default: "32" },
    "database-url": { type: "string" },
  },
});
const url = values.url.replace(/\/$/, "");
const count = Number(values.messages);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(count) || count < 1)
  throw new Error(`--messages must be a positive integer, not ${values.messages}`);
const name = values.name ?? `${count.toLocaleString("en")} messages`;

const api = new Api(url);
const health = await fetch(`${url}/api/health`).catch(() => undefined);
if (!health?.ok) {
  console.error(`No Tandem answers at ${url} (start it with pnpm start, or pass --url).`);
  process.exit(1);
}

const started = performance.now();
let last = started;
const progress = (done: number) => {
  const now = performance.now();
  if (now - last < 2000 && done < count) return;
  last = now;
  const rate = done / ((now - started) / 1000);
  process.stderr.write(
    `  ${done.toLocaleString("en")} of ${count.toLocaleString("en")} (${rate.toFixed(0)}/s)\n`,
  );
};
const databaseUrl = values["database-url"];
const project = databaseUrl
  ? await seedInDatabase(databaseUrl)
  : await api.seedProject(name, count, { concurrency, onProgress: progress });
const seconds = (performance.now() - started) / 1000;
console.error(`Seeded "${project.name}": ${count.toLocaleString("en")} messages in ${seconds.toFixed(1)} s.`);
console.log(`${url}/projects/${project.id}`);

/** The project through the API (so open tabs see it), its messages straight into the tables. */
async function seedInDatabase(url: string) {
  const project = await api.createProject(name);
  const handle = createDb({ DATABASE_URL: url });
  try {
    await insertMessages(handle.db, project.id, count, progress);
  } finally {
    await handle.close();
  }
  return project;
}
