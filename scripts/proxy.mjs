// A small HTTP reverse proxy for trying several Tandem instances on one origin on this
// machine (docs/deploy.md), where the deployment's Caddy is not at hand:
//
//   node scripts/proxy.mjs --port 3670 http://127.0.0.1:3641 http://127.0.0.1:3642
//
// Round robin over the instances that answer /api/health; a request that cannot reach one
// (refused, reset before an answer) is sent to the next, and that instance is skipped for
// a few seconds. Bodies are buffered so they can be sent again; answers (the change feed's
// and the replies' event streams too) are passed through as they come. Each request gets
// an X-Request-Id (the client's, or a new one) and X-Forwarded-For, as Caddy sends them.
// HTTP/1.1 only: the deployment's Caddy is what gives browsers HTTP/2.
import { randomUUID } from "node:crypto";
import http from "node:http";

const args = process.argv.slice(2);
const portAt = args.indexOf("--port");
const port = portAt >= 0 ? Number(args[portAt + 1]) : 3670;
const targets = args.filter((arg, index) => arg !== "--port" && index !== portAt + 1);
if (targets.length === 0 || !Number.isInteger(port)) {
  console.error("Usage: node scripts/proxy.mjs [--port 3670] http://127.0.0.1:3641 http://127.0.0.1:3642 …");
  process.exit(2);
}

/** How long an instance that could not be reached is skipped. */
const DOWN_FOR_MS = 5000;
const HEALTH_EVERY_MS = 2000;

const upstreams = targets.map((target) => ({ url: new URL(target), up: true, skipUntil: 0 }));
let turn = 0;

const log = (fields) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);

/** The next instance in turn that is up and not tried yet for this request. */
function pick(tried) {
  const now = Date.now();
  for (let i = 0; i < upstreams.length; i++) {
    const upstream = upstreams[turn++ % upstreams.length];
    if (!tried.has(upstream) && upstream.up && upstream.skipUntil <= now) return upstream;
  }
  // All look down: try any not tried yet rather than refuse outright.
  return upstreams.find((upstream) => !tried.has(upstream));
}

function markDown(upstream, why) {
  if (upstream.up) log({ msg: `${upstream.url.host} is down (${why})` });
  upstream.up = false;
  upstream.skipUntil = Date.now() + DOWN_FOR_MS;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const requestId = req.headers["x-request-id"] || randomUUID();
    const client = req.socket.remoteAddress ?? "";
    const forwardedFor = req.headers["x-forwarded-for"]
      ? `${req.headers["x-forwarded-for"]}, ${client}`
      : client;
    const started = performance.now();
    const tried = new Set();

    const attempt = () => {
      const upstream = pick(tried);
      if (!upstream) {
        res.writeHead(502, { "content-type": "application/json", "x-request-id": requestId });
        res.end(JSON.stringify({ error: { code: "bad_gateway", message: "No Tandem instance answered" } }));
        log({ requestId, method: req.method, path: req.url, status: 502, upstream: null });
        return;
      }
      tried.add(upstream);
      const forward = http.request({
        host: upstream.url.hostname,
        port: upstream.url.port,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          "x-request-id": requestId,
          "x-forwarded-for": forwardedFor,
          "x-forwarded-proto": "http",
        },
      });
      forward.on("response", (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Event streams: every write goes out at once.
        res.flushHeaders();
        answer.pipe(res);
        // The instance went away mid-answer: cut the client's connection too, so it sees
        // the end (an event stream reconnects) instead of waiting on a dead one.
        answer.on("close", () => {
          if (!answer.complete) res.destroy();
        });
        answer.on("end", () =>
          log({
            requestId,
            method: req.method,
            path: req.url,
            status: answer.statusCode,
            upstream: upstream.url.host,
            durationMs: Math.round(performance.now() - started),
          }),
        );
      });
      forward.on("error", (error) => {
        if (res.headersSent) {
          // Cut mid-answer (the instance went away): the client reconnects, as from any cut.
          res.destroy();
          return;
        }
        markDown(upstream, error.code ?? error.message);
        attempt();
      });
      res.on("close", () => forward.destroy());
      forward.end(body);
    };
    attempt();
  });
});

async function checkHealth() {
  await Promise.all(
    upstreams.map(async (upstream) => {
      const ok = await fetch(new URL("/api/health", upstream.url), { signal: AbortSignal.timeout(1500) })
        .then((answer) => answer.ok)
        .catch(() => false);
      if (ok && !upstream.up) log({ msg: `${upstream.url.host} is up` });
      if (!ok) markDown(upstream, "health check failed");
      else upstream.up = true;
    }),
  );
}
setInterval(checkHealth, HEALTH_EVERY_MS).unref();
void checkHealth();

server.listen(port, "127.0.0.1", () => {
  log({ msg: `Proxy on http://127.0.0.1:${port} → ${targets.join(", ")}` });
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
process.on("SIGINT", () => server.close(() => process.exit(0)));
