// Builds what is missing or older than its sources: `node scripts/build-if-stale.mjs
// [web] [server]` (both when none is named). `pnpm start` runs it before the server, and
// the tests that start servers run it for the server, so neither rebuilds for nothing.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

const targets = {
  web: {
    output: "apps/web/dist/index.html",
    sources: [
      "apps/web/src",
      "apps/web/public",
      "apps/web/index.html",
      "apps/web/vite.config.ts",
      "apps/web/package.json",
      "packages/shared/src",
    ],
    filter: "@tandem/web",
  },
  server: {
    output: "apps/server/dist/index.js",
    sources: [
      "apps/server/src",
      "apps/server/build.mjs",
      "apps/server/package.json",
      "packages/db/src",
      "packages/db/drizzle",
      "packages/shared/src",
    ],
    filter: "@tandem/server",
  },
};

/** The newest modification time under `path` (a file or a folder), in ms. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const asked = process.argv.slice(2);
for (const name of asked) {
  if (!(name in targets)) {
    console.error(`Unknown build target "${name}": use ${Object.keys(targets).join(" or ")}`);
    process.exit(2);
  }
}
for (const name of asked.length > 0 ? asked : Object.keys(targets)) {
  const target = targets[name];
  const output = join(root, target.output);
  const built = existsSync(output) ? statSync(output).mtimeMs : 0;
  const changed = Math.max(...target.sources.map((source) => newest(join(root, source))));
  if (built > changed) continue;
  console.error(
    built === 0 ? `Building the ${name} (no build yet)…` : `Building the ${name} (its sources changed)…`,
  );
  execFileSync("pnpm", ["--filter", target.filter, "build"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
}
