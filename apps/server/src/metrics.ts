import type { Db } from "@tandem/db/client";
import { sql } from "drizzle-orm";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Assistant } from "./assistant/assistant.ts";
import type { DatabaseGate } from "./database-gate.ts";
import { rowsOf } from "./driver-rows.ts";
import type { FeedHub } from "./feed/hub.ts";

export interface MetricSources {
  db: Db;
  feed: FeedHub;
  assistant: Assistant;
  gate: DatabaseGate;
}

/**
 * This instance's metrics, in a registry of its own (so apps made side by side in one
 * process, as tests do, never share counts): the HTTP histogram the request log feeds,
 * Node's default process metrics, and gauges read from the server's parts when scraped.
 * docs/operations.md lists them.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  readonly #inFlight: Gauge;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: "http_request_duration_seconds",
      help: "Time to answer an HTTP request (to its headers; a stream's body may go on), by route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#inFlight = new Gauge({
      name: "http_requests_in_flight",
      help: "HTTP requests being answered now",
      registers,
    });
    new Gauge({
      name: "tandem_feed_connections",
      help: "Change-feed (SSE) connections open on this instance",
      registers,
      collect() {
        this.set(sources.feed.subscriberCount);
      },
    });
    new Gauge({
      name: "tandem_feed_position",
      help: "The last change-log position this instance's feed has read",
      registers,
      collect() {
        this.set(Number(sources.feed.readThrough));
      },
    });
    new Gauge({
      name: "tandem_generations_running",
      help: "Replies this instance is writing now",
      registers,
      collect() {
        this.set(sources.assistant.runningCount);
      },
    });
    new Gauge({
      name: "tandem_database_up",
      help: "1 when the server can use its database, 0 while it answers 503 and retries",
      registers,
      collect() {
        this.set(sources.gate.ready ? 1 : 0);
      },
    });
    new Counter({
      name: "tandem_database_failed_tries_total",
      help: "Tries to reach (or prepare) the database that failed since the process started",
      registers,
      collect() {
        this.reset();
        this.inc(sources.gate.failedTries);
      },
    });
    const changeLogRows = new Gauge({
      name: "tandem_change_log_rows",
      help: "Entries the change log holds (trimmed by age, CHANGE_LOG_RETENTION), from the database's statistics: seconds behind",
      registers,
      async collect() {
        if (!sources.gate.ready) return;
        try {
          // The statistics' live-row count, not count(*): a scrape every few seconds must
          // not scan a log of millions of entries. Backends report their inserts and
          // deletes when they go idle, so it can be up to about ten seconds behind.
          const [row] = rowsOf<{ rows: string }>(
            await sources.db.execute(
              sql`select pg_stat_get_live_tuples('change_log'::regclass)::text as rows`,
            ),
          );
          changeLogRows.set(Number(row?.rows ?? 0));
        } catch {
          // A scrape while the database goes away keeps the last count; tandem_database_up says why.
        }
      },
    });
  }

  /** Counts a request as answered (or being answered, with `inFlight`). */
  startRequest(): (labels: { method: string; route: string; status: number }) => void {
    this.#inFlight.inc();
    const end = this.httpDuration.startTimer();
    return ({ method, route, status }) => {
      this.#inFlight.dec();
      end({ method, route, status: String(status) });
    };
  }

  /** The Prometheus text format. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
