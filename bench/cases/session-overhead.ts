import autocannon from "autocannon";
import { Api } from "../lib/api.ts";
import { freePort, onCleanup, startNode } from "../lib/processes.ts";
import { builtServer, databaseEnv, freshDatabase } from "../lib/stack.ts";
import { type BenchCase, pass, type Row } from "../lib/types.ts";

const TARGET_RATIO = 0.9;
const ROUNDS = { full: 5, quick: 3 };

/** Signs an account up on a server in AUTH=accounts; answers its session cookie. */
async function signUp(url: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { origin: url, "content-type": "application/json" },
    body: JSON.stringify({ name: "Bench", email: "bench@example.com", password: "bench password 1234" }),
  });
  if (!response.ok) throw new Error(`Sign-up: ${response.status} ${await response.text()}`);
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] ?? "")
    .find((pair) => pair.includes("session_token="));
  if (!cookie) throw new Error("Sign-up set no session cookie");
  return cookie;
}

async function requestsPerSecond(url: string, request: autocannon.Request, seconds: number) {
  const result = await autocannon({ url, connections: 50, duration: seconds, requests: [request] });
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * What a session costs on the hot path: autocannon, 50 connections, `GET
 * …/messages?limit=50` with a session cookie on a server in AUTH=accounts, against the
 * same request on the suite's server in AUTH=local (no session to look up), in turns.
 * Each server reads a 200-message project of its own, on its own database.
 */
export const sessionOverhead: BenchCase = {
  name: "session-overhead",
  async run({ api, quick }) {
    const seconds = quick ? 3 : 10;
    const turns = quick ? ROUNDS.quick : ROUNDS.full;
    const database = await freshDatabase();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const built = builtServer();
    const accounts = await startNode(
      built.script,
      {
        PORT: String(port),
        HOST: "127.0.0.1",
        AUTH: "accounts",
        AUTH_SECRET: "bench-secret-that-is-at-least-32-characters",
        AI_BASE_URL: "",
        AI_MODEL: "",
        ...databaseEnv(database),
      },
      `${url}/api/health`,
      { nodeArgs: built.nodeArgs, timeoutMs: 90_000 },
    );
    onCleanup(() => accounts.stop());
    const cookie = await signUp(url);
    const local = await api.seedProject("Bench session (local)", 200);
    const signedIn = await new Api(url, cookie).seedProject("Bench session (accounts)", 200);

    const targets = {
      accounts: {
        url,
        request: {
          method: "GET",
          path: `/api/projects/${signedIn.id}/messages?limit=50`,
          headers: { cookie },
        } as autocannon.Request,
      },
      local: {
        url: api.url,
        request: { method: "GET", path: `/api/projects/${local.id}/messages?limit=50` } as autocannon.Request,
      },
    };
    const rounds: Record<string, Awaited<ReturnType<typeof requestsPerSecond>>[]> = {
      accounts: [],
      local: [],
    };
    for (const target of Object.values(targets))
      await requestsPerSecond(target.url, target.request, quick ? 1 : 2);
    for (let round = 0; round < turns; round++) {
      for (const [who, target] of Object.entries(targets)) {
        rounds[who]?.push(await requestsPerSecond(target.url, target.request, seconds / turns));
      }
    }
    const summary = (who: string) => {
      const loads = rounds[who] ?? [];
      const p50s = loads.map((load) => load.p50).sort((a, b) => a - b);
      return {
        rps: loads.reduce((sum, load) => sum + load.rps, 0) / Math.max(1, loads.length),
        p50: p50s[Math.floor(p50s.length / 2)] ?? 0,
        total: loads.reduce((sum, load) => sum + load.total, 0),
        failed: loads.reduce((sum, load) => sum + load.failed, 0),
      };
    };
    const withSession = summary("accounts");
    const without = summary("local");
    const ratio = withSession.rps / without.rps;
    const rows: Row[] = [
      {
        case: "GET …/messages with a session vs AUTH=local",
        n: withSession.total,
        unit: "×",
        p50: ratio,
        target: `≥ ${TARGET_RATIO}× AUTH=local`,
        status: pass(ratio >= TARGET_RATIO && withSession.failed === 0),
        note:
          `${withSession.rps.toFixed(0)} vs ${without.rps.toFixed(0)} req/s; p50 ${withSession.p50} vs ${without.p50} ms` +
          (withSession.failed ? `; ${withSession.failed} failed` : ""),
      },
    ];
    await accounts.stop();
    return { rows, details: { accounts: withSession, local: without } };
  },
};
