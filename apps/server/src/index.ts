import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createDb } from "@tandem/db/client";
import { createApp } from "./app.ts";
import { readEnv } from "./env.ts";

const env = readEnv();
const handle = createDb(env);
await handle.migrate();

const webRoot = fileURLToPath(new URL("../../web/dist", import.meta.url));
const hasWeb = existsSync(webRoot);
if (!hasWeb) console.warn(`No built web app at ${webRoot}: serving the API only (run pnpm build).`);

const app = createApp({ db: handle, webRoot: hasWeb ? webRoot : undefined });
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  const where = handle.kind === "pglite" ? `PGlite in ${env.DATA_DIR}` : "Postgres";
  console.log(`Tandem is running at http://${env.HOST}:${info.port} (${where})`);
});

let closing = false;
function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing`);
  // Stop accepting connections, let requests in flight finish, then close the database.
  server.close(async () => {
    await handle.close();
    process.exit(0);
  });
  if ("closeIdleConnections" in server) server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
