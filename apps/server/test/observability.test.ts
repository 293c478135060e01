import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { FeedReader } from "./feed.ts";
import { type RunningServer, SERVER_START_MS, startServer } from "./processes.ts";
import { parsePrometheus } from "./prometheus.ts";

interface LogRecord {
  level: string;
  msg: string;
  requestId?: string;
  method?: string;
  path?: string;
  route?: string;
  status?: number;
  durationMs?: number;
}

/** Every line the server wrote, each parsed as the JSON object it must be. */
const logOf = (server: RunningServer): LogRecord[] =>
  server
    .output()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LogRecord);

describe.each(backends)("logs and metrics of the server process on %s", (kind) => {
  let database: TestDatabase | undefined;
  let server: RunningServer | undefined;
  const running = () => {
    if (!server) throw new Error("The server is not up");
    return server;
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await startServer({
      DATABASE_URL: database.env.DATABASE_URL,
      DATA_DIR: database.env.DATA_DIR,
      METRICS_PORT: "0",
    });
  }, SERVER_START_MS);

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await once(server.child, "exit");
    }
    await database?.drop();
  });

  test("/metrics answers loopback clients in the Prometheus text format, with the server's metrics", async () => {
    const { url } = running();
    const created = await fetch(`${url}/api/projects`, {
      method: "POST",
      headers: { origin: url, "content-type": "application/json" },
      body: JSON.stringify({ id: randomUUID(), name: "Measured" }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${url}/api/projects`)).status).toBe(200);
    const feed = new FeedReader(await fetch(`${url}/api/changes`));
    expect((await feed.nextEvent()).type).toBe("ready");

    const answer = await fetch(`${url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(await answer.text());
    const value = (name: string) => samples.find((sample) => sample.name === name)?.value;

    expect(types.get("http_request_duration_seconds")).toBe("histogram");
    expect(
      samples.find(
        (sample) =>
          sample.name === "http_request_duration_seconds_count" &&
          sample.labels.route === "/api/projects" &&
          sample.labels.method === "POST" &&
          sample.labels.status === "201",
      )?.value,
    ).toBe(1);
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(types.has(name), name).toBe(true);
    }
    expect(value("tandem_feed_connections")).toBe(1);
    expect(value("tandem_generations_running")).toBe(0);
    expect(value("tandem_change_log_rows")).toBeGreaterThanOrEqual(0);
    expect(value("tandem_database_up")).toBe(1);
    await feed.close();

    // Forwarded by a proxy: not for the public.
    const proxied = await fetch(`${url}/metrics`, { headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(proxied.status).toBe(404);
    expect(await proxied.json()).toMatchObject({ error: { code: "not_found" } });

    // The log's size comes from the database's statistics, which catch up with the
    // project's entry once the writing connection has gone idle and reported it.
    await waitFor(
      "the change log's entry in tandem_change_log_rows",
      async () => {
        const rows = parsePrometheus(await (await fetch(`${url}/metrics`)).text()).samples.find(
          (sample) => sample.name === "tandem_change_log_rows",
        )?.value;
        return rows !== undefined && rows >= 1;
      },
      { timeoutMs: 30_000, everyMs: 250 },
    );

    // METRICS_PORT: its own listener.
    const metricsUrl = /Metrics at (http:\/\/[^\s"]+)/.exec(running().output())?.[1];
    expect(metricsUrl).toBeDefined();
    const own = await fetch(metricsUrl ?? "");
    expect(own.status).toBe(200);
    expect(parsePrometheus(await own.text()).types.has("tandem_change_log_rows")).toBe(true);
  });

  test("every request is one JSON log line with its request id (the proxy's, or a new one), echoed; no message text", async () => {
    const { url } = running();
    const given = `proxy-${randomUUID()}`;
    const withId = await fetch(`${url}/api/projects`, { headers: { "x-request-id": given } });
    expect(withId.status).toBe(200);
    expect(withId.headers.get("x-request-id")).toBe(given);
    const withoutId = await fetch(`${url}/api/projects/${randomUUID()}`);
    expect(withoutId.status).toBe(404);
    const made = withoutId.headers.get("x-request-id") ?? "";
    expect(made).toMatch(/^[0-9a-f-]{36}$/);

    const projectId = randomUUID();
    const secret = `text-nobody-should-log-${randomUUID()}`;
    await fetch(`${url}/api/projects`, {
      method: "POST",
      headers: { origin: url, "content-type": "application/json" },
      body: JSON.stringify({ id: projectId, name: secret }),
    });
    const message = await fetch(`${url}/api/messages`, {
      method: "POST",
      headers: { origin: url, "content-type": "application/json", "x-request-id": "the-message" },
      body: JSON.stringify({ id: randomUUID(), projectId, content: secret }),
    });
    expect(message.status).toBe(201);

    const records = await waitFor("the three requests in the log", () => {
      const log = logOf(running());
      return (
        log.filter((record) => [given, made, "the-message"].includes(record.requestId ?? "")).length === 3 &&
        log
      );
    });
    expect(records.find((record) => record.requestId === given)).toMatchObject({
      level: "info",
      method: "GET",
      path: "/api/projects",
      route: "/api/projects",
      status: 200,
      durationMs: expect.any(Number),
    });
    expect(records.find((record) => record.requestId === made)).toMatchObject({ method: "GET", status: 404 });
    expect(records.find((record) => record.requestId === "the-message")).toMatchObject({
      method: "POST",
      path: "/api/messages",
      status: 201,
    });
    expect(running().output()).not.toContain(secret);
  });
});
