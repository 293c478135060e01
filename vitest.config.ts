import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // e2e/ is Playwright's (`pnpm test:e2e`), never vitest's.
    exclude: [...configDefaults.exclude, "e2e/**"],
    // Vitest's default on two cores is one file at a time, but most of a server test's
    // time is spent waiting (for Postgres, a started server, a reply's tokens): two files
    // at once took the suite from about 1,060 s of test time to 612 s of wall time, all
    // passing, with CI's own run going beside it. Every file has its own databases and
    // ports.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "server",
          include: ["apps/server/test/**/*.test.ts"],
          environment: "node",
          // Tests that start server processes run the built server: built (if stale) once, here.
          globalSetup: ["apps/server/test/build-server.ts"],
          setupFiles: ["apps/server/test/quiet-log.ts"],
          // Each file starts a PGlite (or creates a Postgres database) and migrates it first.
          hookTimeout: 60_000,
          // A test that starts server processes adds their start-up to its own timeout
          // (SERVER_START_MS in apps/server/test/processes.ts): this one is for the rest.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "web",
          include: ["apps/web/test/**/*.test.ts"],
          environment: "node",
          // Some files run the client against a real app, which starts and migrates a PGlite first.
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
