import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));

/** The production build of the server (`pnpm build`): what `pnpm start`, the image and the tests run. */
export const builtServerEntry = fileURLToPath(new URL("apps/server/dist/index.js", `file://${repoRoot}/`));

/** How a test starts the built server: `node` and these arguments. */
export const builtServerArgs = ["--enable-source-maps", builtServerEntry];

/**
 * Builds the server when its build is missing or older than its sources (the web app is
 * not needed for API tests). Run once per test run, before any worker starts a server:
 * a rebuild replaces the files under a running one.
 */
export function ensureServerBuilt(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL("scripts/build-if-stale.mjs", `file://${repoRoot}/`)), "server"],
    {
      cwd: repoRoot,
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
}
