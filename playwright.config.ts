import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { builtServerArgs } from "@tandem/testing/built-server";
import { chromiumLaunchOptions } from "@tandem/testing/chromium";
import { APP_PORT, MODEL_PORT, TOKEN_DELAY_MS } from "./e2e/suite.ts";

const isCI = Boolean(process.env.CI);
// The assistant's model is the scripted OpenAI-compatible server (packages/testing), on MODEL_PORT.
const baseURL = `http://127.0.0.1:${APP_PORT}`;
const databaseUrl = process.env.DATABASE_URL || undefined;

/**
 * A fresh PGlite directory for this run. The runner makes it once and exports it, so the
 * workers (which load this file too) reuse it instead of making their own; it is removed
 * when the runner exits, after the server has been stopped.
 */
function pgliteDataDir(): string {
  const inherited = process.env.TANDEM_E2E_DATA_DIR;
  if (inherited) return inherited;
  const dir = mkdtempSync(join(tmpdir(), "tandem-e2e-"));
  process.env.TANDEM_E2E_DATA_DIR = dir;
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export default defineConfig({
  testDir: "e2e",
  // Every test seeds its own project under a unique name, so tests never share rows.
  fullyParallel: true,
  // Two cores: more workers only make the browser and the server fight for them.
  workers: 2,
  retries: 0,
  forbidOnly: isCI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    headless: true,
    trace: "retain-on-failure",
    // page.route cannot see what a service worker fetches; the offline specs allow it.
    serviceWorkers: "block",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: chromiumLaunchOptions,
      },
    },
  ],
  webServer: [
    {
      command: "node --import tsx packages/testing/src/scripted-model/main.ts",
      url: `http://127.0.0.1:${MODEL_PORT}/health`,
      reuseExistingServer: !isCI,
      env: { PORT: String(MODEL_PORT), TOKEN_DELAY_MS: String(TOKEN_DELAY_MS) },
    },
    {
      // The production build, as `pnpm start` runs it (built first if missing or stale).
      command: `node scripts/build-if-stale.mjs && exec node ${builtServerArgs.join(" ")}`,
      url: `${baseURL}/api/health`,
      reuseExistingServer: !isCI,
      timeout: 60_000,
      stdout: "pipe",
      stderr: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
      env: {
        PORT: String(APP_PORT),
        HOST: "127.0.0.1",
        AI_BASE_URL: `http://127.0.0.1:${MODEL_PORT}/v1`,
        AI_MODEL: "scripted",
        // Every spec runs as the one local owner, on two workers, and replies outlive the
        // tests that start them; the per-user limits have specs of their own.
        CHAT_MAX_RUNNING: "1000",
        CHAT_DAILY_LIMIT: "1000000",
        FEED_MAX_CONNECTIONS_PER_USER: "1000",
        // Its output is shown with the run's: problems, not a line per request.
        LOG_LEVEL: "warn",
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATA_DIR: pgliteDataDir() }),
      },
    },
  ],
});
