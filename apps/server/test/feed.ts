import type { Db } from "@tandem/db/client";
import { changeLog } from "@tandem/db/schema";
import {
  type ChangeEvent,
  changeEventSchema,
  FEED_READY_EVENT,
  FEED_RESET_EVENT,
  feedPositionSchema,
  type MemberChange,
  memberChangeSchema,
  type ProjectRemoved,
  projectRemovedSchema,
} from "@tandem/shared";
import { asc, gt } from "drizzle-orm";
import { expect } from "vitest";
import { eventOf, readHead } from "../src/feed/change-log.ts";
import type { WithApp } from "./http.ts";

type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<string>["read"]>>;

/** One Server-Sent Event of the change feed, as a client reads it. */
export type FeedMessage =
  | { type: "ready" | "reset"; id: string; position: string }
  | { type: "change"; id: string; event: ChangeEvent }
  /** A membership given or taken (accounts mode). */
  | { type: "member"; id: string; event: MemberChange }
  /** A project this reader was removed from: its id, no row. */
  | { type: "removed"; id: string; event: ProjectRemoved }
  | { type: "comment"; text: string }
  /** The server's hint of how soon to reconnect, sent as it ends the stream (it shuts down). */
  | { type: "retry"; ms: number };

/** Reads `GET /api/changes` event by event; every wait is bounded. */
export class FeedReader {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #pending: Promise<ReadResult> | undefined;
  #ended = false;
  /** The id of the last event read (what a reconnecting EventSource sends as Last-Event-ID). */
  lastId: string | undefined;

  constructor(response: Response) {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    if (!response.body) throw new Error("The feed has no body");
    this.#reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next event or comment; throws when none comes within `timeoutMs` or the stream ends. */
  async next({ timeoutMs = 10_000 } = {}): Promise<FeedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const message = parseEvent(block);
        if (message.type !== "comment" && message.type !== "retry") this.lastId = message.id;
        return message;
      }
      const { done, value } = await this.#read(deadline - Date.now());
      if (done) {
        this.#ended = true;
        throw new Error(`The feed ended (left: ${JSON.stringify(this.#buffer)})`);
      }
      this.#buffer += value;
    }
  }

  /** The next event that is not a keep-alive comment or a retry hint. */
  async nextEvent(options?: {
    timeoutMs?: number;
  }): Promise<Exclude<FeedMessage, { type: "comment" } | { type: "retry" }>> {
    for (;;) {
      const message = await this.next(options);
      if (message.type !== "comment" && message.type !== "retry") return message;
    }
  }

  /** The next event, which must be a change. */
  async nextChange(options?: { timeoutMs?: number }) {
    const message = await this.nextEvent(options);
    if (message.type !== "change") throw new Error(`Expected a change, got ${JSON.stringify(message)}`);
    return message;
  }

  async changes(count: number) {
    const changes: Array<Extract<FeedMessage, { type: "change" }>> = [];
    while (changes.length < count) changes.push(await this.nextChange());
    return changes;
  }

  /** Resolves once the server ends the stream (reading and dropping what comes before). */
  async ended({ timeoutMs = 10_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      const { done } = await this.#read(deadline - Date.now());
      if (done) this.#ended = true;
    }
  }

  /** The client goes away. */
  async close() {
    await this.#reader.cancel().catch(() => {});
  }

  async #read(timeoutMs: number): Promise<ReadResult> {
    // A read that timed out is still pending; the next call waits for that one.
    this.#pending ??= this.#reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("No feed event in time")), Math.max(0, timeoutMs));
    });
    try {
      const result = await Promise.race([this.#pending, timeout]);
      this.#pending = undefined;
      return result;
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseEvent(block: string): FeedMessage {
  const lines = block.split("\n");
  if (lines.every((line) => line.startsWith(":"))) return { type: "comment", text: block };
  const retry = /^retry: ?(\d+)$/.exec(block);
  if (retry) return { type: "retry", ms: Number(retry[1]) };
  let event = "message";
  let id: string | undefined;
  const data: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
    else if (field !== "") throw new Error(`Unexpected SSE field in ${JSON.stringify(block)}`);
  }
  if (id === undefined) throw new Error(`An event without an id: ${JSON.stringify(block)}`);
  const json: unknown = JSON.parse(data.join("\n"));
  if (event === FEED_READY_EVENT || event === FEED_RESET_EVENT) {
    const { position } = feedPositionSchema.parse(json);
    expect(position).toBe(id);
    return { type: event, id, position };
  }
  expect(event).toBe("message");
  const entity = (json as { entity?: unknown }).entity;
  if (entity === "member") return { type: "member", id, event: memberChangeSchema.parse(json) };
  if (entity === "project" && (json as { row?: unknown }).row === undefined) {
    return { type: "removed", id, event: projectRemovedSchema.parse(json) };
  }
  return { type: "change", id, event: changeEventSchema.parse(json) };
}

/** Opens the feed the way a client would: `since`, or a reconnect's `Last-Event-ID`. */
export async function openFeed(
  server: WithApp,
  { since, lastEventId }: { since?: string; lastEventId?: string } = {},
): Promise<FeedReader> {
  const query = since === undefined ? "" : `?since=${encodeURIComponent(since)}`;
  const headers: Record<string, string> = lastEventId === undefined ? {} : { "last-event-id": lastEventId };
  return new FeedReader(await server.app.request(`/api/changes${query}`, { headers }));
}

/** A feed opened with no position: its `ready` event read. */
export async function openFeedAtHead(server: WithApp): Promise<{ feed: FeedReader; position: string }> {
  const feed = await openFeed(server);
  const ready = await feed.next();
  if (ready.type !== "ready") throw new Error(`Expected ready first, got ${JSON.stringify(ready)}`);
  return { feed, position: ready.position };
}

/** The log's entries after `after`, as events, straight from the table. */
export async function logAfter(db: Db, after: bigint) {
  const rows = await db
    .select()
    .from(changeLog)
    .where(gt(changeLog.position, after))
    .orderBy(asc(changeLog.position));
  return rows.map((row) => ({ position: row.position, event: changeEventSchema.parse(eventOf(row)) }));
}

/** What `write` appended to the log, in order (the events only). */
export async function appendedBy(db: Db, write: () => Promise<unknown>): Promise<ChangeEvent[]> {
  const before = await readHead(db);
  await write();
  return (await logAfter(db, before)).map(({ event }) => event);
}

/** Short names for a list of events, for exact comparison: "message:upsert:<id>". */
export const eventNames = (events: ChangeEvent[]) => events.map((e) => `${e.entity}:${e.op}:${e.id}`);
