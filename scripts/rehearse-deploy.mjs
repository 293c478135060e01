// The deployment rehearsed on one machine, as docs/deploy.md describes: a fresh database
// on the local Postgres, two built server instances (AUTH=accounts) on it, the small
// proxy (scripts/proxy.mjs) in front, and Chromium using the app through the proxy. One
// instance is killed mid-use; the browser must carry on through the other. Logs, metrics
// and screenshots go to OUT (default /tmp/tandem-rehearsal).
//
//   pnpm build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node scripts/rehearse-deploy.mjs
//
// Ports: PORTS="3646 3647 3670 3662 3663" (instance A, instance B, proxy, A's and B's METRICS_PORT).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, expect } from "@playwright/test";
import postgres from "postgres";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = process.env.OUT || "/tmp/tandem-rehearsal";
const [portA, portB, proxyPort, metricsA, metricsB] = (process.env.PORTS || "3646 3647 3670 3662 3663")
  .split(/\s+/)
  .map(Number);
const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.error("Set DATABASE_URL to a Postgres server this script may create a database on.");
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const step = (text) => console.log(`${new Date().toISOString()}  ${text}`);
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
const database = `tandem_rehearsal_${randomBytes(4).toString("hex")}`;
await admin`create database ${admin(database)}`;
const databaseUrl = new URL(serverUrl);
databaseUrl.pathname = `/${database}`;
const origin = `http://127.0.0.1:${proxyPort}`;

const children = [];
function run(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = createWriteStream(join(out, `${name}.log`));
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  children.push(child);
  return child;
}

const instanceEnv = (port, metricsPort) => ({
  PORT: String(port),
  HOST: "127.0.0.1",
  DATABASE_URL: databaseUrl.href,
  AUTH: "accounts",
  PUBLIC_URL: origin,
  METRICS_PORT: String(metricsPort),
  ASSISTANT_TOKEN_DELAY_MS: "30",
});
// Both instances must sign sessions with one secret.
const secret = randomBytes(32).toString("base64");
const serverArgs = ["--enable-source-maps", "apps/server/dist/index.js"];
const instances = [
  { name: "A", port: portA, metricsPort: metricsA },
  { name: "B", port: portB, metricsPort: metricsB },
].map((instance) => ({
  ...instance,
  child: run(`instance-${instance.name.toLowerCase()}`, serverArgs, {
    ...instanceEnv(instance.port, instance.metricsPort),
    AUTH_SECRET: secret,
  }),
}));
/** A gauge of an instance, read from its METRICS_PORT. */
async function gauge(instance, name) {
  const text = await (await fetch(`http://127.0.0.1:${instance.metricsPort}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
}
run("proxy", [
  "scripts/proxy.mjs",
  "--port",
  String(proxyPort),
  `http://127.0.0.1:${portA}`,
  `http://127.0.0.1:${portB}`,
]);

async function healthy(url) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/api/health`).catch(() => undefined))?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not become healthy`);
}

let browser;
try {
  await Promise.all([portA, portB, proxyPort].map((port) => healthy(`http://127.0.0.1:${port}`)));
  step(`two instances on ${database}, proxy at ${origin}`);

  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
  const context = await browser.newContext({ baseURL: origin });
  const page = await context.newPage();
  const signUp = await context.request.post("/api/auth/sign-up/email", {
    data: {
      name: "Operator",
      email: `operator-${database}@example.com`,
      password: "correct horse battery staple",
    },
    headers: { origin },
  });
  if (signUp.status() !== 200) throw new Error(`Sign-up answered ${signUp.status()}: ${await signUp.text()}`);
  await page.goto("/");
  const connection = page.getByRole("status", { name: "Connection", exact: true });
  await expect(connection).toHaveText(/Online/, { timeout: 30_000 });

  await page.getByRole("button", { name: "New project", exact: true }).click();
  await page.getByRole("textbox", { name: "Project name", exact: true }).fill("Rehearsal");
  await page.getByRole("textbox", { name: "Project name", exact: true }).press("Enter");
  const input = page.getByRole("textbox", { name: "Message", exact: true });
  const log = page.getByRole("log", { name: "Messages", exact: true });
  const replies = log.locator('article[data-role="assistant"]');
  await input.fill("Before the failure: what can you do?");
  await input.press("Enter");
  await expect(replies).toHaveCount(1, { timeout: 30_000 });
  await expect(replies.first()).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await page.screenshot({ path: join(out, "1-before.png") });
  step("project made and a reply read through the proxy");

  // A second tab of the same person: it follows the first through the change feed.
  const other = await context.newPage();
  await other.goto(page.url());
  await expect(other.getByRole("log", { name: "Messages" }).locator("article")).toHaveCount(2, {
    timeout: 30_000,
  });

  // The instance holding the browser's change feed (both tabs share one) is the one to kill.
  const feeds = await Promise.all(instances.map((instance) => gauge(instance, "tandem_feed_connections")));
  const victim = feeds[0] >= 1 ? instances[0] : instances[1];
  const survivor = victim === instances[0] ? instances[1] : instances[0];
  step(`feed connections: A ${feeds[0]}, B ${feeds[1]}`);
  victim.child.kill("SIGKILL");
  await once(victim.child, "exit");
  step(`instance ${victim.name} (port ${victim.port}) killed with SIGKILL`);
  await expect
    .poll(() => gauge(survivor, "tandem_feed_connections"), { timeout: 30_000 })
    .toBeGreaterThanOrEqual(1);
  step(`the browser's feed reconnected to instance ${survivor.name}`);

  await input.fill("After the failure: are you still there?");
  await input.press("Enter");
  await expect(replies).toHaveCount(2, { timeout: 30_000 });
  await expect(replies.nth(1)).toHaveAttribute("data-status", "complete", { timeout: 60_000 });
  await expect(other.getByRole("log", { name: "Messages" }).locator("article")).toHaveCount(4, {
    timeout: 30_000,
  });
  await expect(connection).toHaveText(/Online/, { timeout: 30_000 });
  await page.screenshot({ path: join(out, "2-after.png") });
  await other.screenshot({ path: join(out, "2-after-other-tab.png") });
  step(`the browser carried on through instance ${survivor.name}; the other tab followed live`);

  const metrics = await (await fetch(`http://127.0.0.1:${survivor.metricsPort}/metrics`)).text();
  createWriteStream(join(out, `metrics-${survivor.name.toLowerCase()}.txt`)).end(metrics);
  const throughProxy = await fetch(`${origin}/metrics`);
  step(
    `${survivor.name}'s metrics saved (${metrics.split("\n").length} lines); /metrics through the proxy answers ${throughProxy.status}`,
  );
} finally {
  await browser?.close();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  }
  await admin`drop database if exists ${admin(database)} with (force)`;
  await admin.end();
  step(`stopped; logs and screenshots in ${out}`);
}
