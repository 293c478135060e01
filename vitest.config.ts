import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // e2e/ is Playwright's (`pnpm test:e2e`), never vitest's.
    exclude: [...configDefaults.exclude, "e2e/**"],
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
