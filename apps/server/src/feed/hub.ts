import type { DbHandle, Listener } from "@tandem/db/client";
import { describeError } from "../http/database-error.ts";
import { defaults } from "../settings.ts";
import {
  FEED_CHANNEL,
  type FeedChange,
  readChangesAfter,
  readHead,
  readTrimmedThrough,
  trimChangeLog,
} from "./change-log.ts";

export interface FeedSettings {
  /** The safety net: read the log this often even without a notification. */
  pollMs: number;
  /** A comment line this often on every idle feed connection, so proxies keep it open. */
  keepAliveMs: number;
  /** Entries older than this are trimmed; a client further behind refetches. */
  retentionMs: number;
  /** How often to trim (and once at start); by default a quarter of the retention, at most 5 minutes. */
  trimEveryMs: number;
  /** The least time between two reads of the log (from one read's start to the next's): wakes in between wait for it. */
  readGapMs: number;
  /** Entries per read of the log. */
  batchSize: number;
  /** The latest changes kept in memory (in frame bytes), so a client resuming from nearby reads no database. */
  recentBytes: number;
}

const defaultFeedSettings: FeedSettings = {
  pollMs: defaults.pollMs,
  keepAliveMs: defaults.keepAliveMs,
  retentionMs: defaults.retentionMs,
  trimEveryMs: defaults.trimEveryMs,
  readGapMs: defaults.readGapMs,
  batchSize: defaults.batchSize,
  recentBytes: defaults.recentBytes,
};

export interface FeedOptions extends Partial<FeedSettings> {
  /** Where the hub reports lost connections and failures; console by default. */
  logger?: Pick<Console, "log" | "warn" | "error">;
}

/** Where one feed connection's events go. */
export interface FeedSink {
  change(change: FeedChange): void;
  /** Changes after the subscriber's position were trimmed away: it must refetch, then go on after `position`. */
  reset(position: bigint): void;
  /** The hub is closing (the server shuts down) or could not read for this subscriber. */
  end(): void;
}

/** Told of every change the hub reads, live (the assistant follows replies written elsewhere this way). */
export interface FeedWatcher {
  change(change: FeedChange): void;
  /** The hub skipped ahead over trimmed entries: re-read what you follow. */
  reset(): void;
}

interface Subscriber {
  sink: FeedSink;
  /** The user the connection reads for. */
  userId: string | undefined;
  /** The last position sent to it. */
  cursor: bigint;
  /** Reading the log itself (false) or taking the hub's changes as they come (true). */
  live: boolean;
  closed: boolean;
}

/**
 * One per server instance: holds the one listening connection, reads the change log
 * from its horizon whenever a NOTIFY (or the poll) says something committed, and hands
 * each change, in position order, to its feed connections. A connection that starts
 * behind the hub reads the log on its own until it catches up, then takes the hub's
 * changes; the hand-over happens in one synchronous step, so none is missed or sent twice.
 */
export class FeedHub {
  readonly settings: FeedSettings;
  readonly #handle: DbHandle;
  readonly #logger: Pick<Console, "log" | "warn" | "error">;
  readonly #subscribers = new Set<Subscriber>();
  /** Open connections per user, for the per-user limit. */
  readonly #perUser = new Map<string, number>();
  readonly #watchers = new Set<FeedWatcher>();
  /** The last position read and handed out. */
  #horizon = 0n;
  /** The latest changes, in order; with `#floor`, every change after `#floor` up to the horizon. */
  #recent: FeedChange[] = [];
  #recentSize = 0;
  #floor = 0n;
  #starting: Promise<void> | undefined;
  #listener: Listener | undefined;
  #timers: Array<ReturnType<typeof setInterval>> = [];
  #pumping = false;
  #pumpAgain = false;
  /** When the last read of the log started (performance.now()). */
  #readAt = Number.NEGATIVE_INFINITY;
  /** A read waiting for `readGapMs` to pass. */
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  #lostSince: number | undefined;
  #closed = false;

  constructor(handle: DbHandle, options: FeedOptions = {}) {
    const { logger, ...settings } = options;
    this.#handle = handle;
    this.#logger = logger ?? console;
    const given = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
    const retentionMs = settings.retentionMs ?? defaultFeedSettings.retentionMs;
    this.settings = {
      ...defaultFeedSettings,
      trimEveryMs: Math.min(defaultFeedSettings.trimEveryMs, Math.max(1000, Math.floor(retentionMs / 4))),
      ...given,
    };
  }

  get #db() {
    return this.#handle.db;
  }

  /** Starts listening, polling and trimming; every other method waits for it. Safe to call again. */
  start(): Promise<void> {
    this.#starting ??= this.#start().catch((error) => {
      this.#starting = undefined;
      throw error;
    });
    return this.#starting;
  }

  async #start() {
    this.#horizon = await readHead(this.#db);
    this.#floor = this.#horizon;
    // Listening starts after the horizon is known; its first onListen reads what came since.
    this.#listener = await this.#handle.listen(FEED_CHANNEL, {
      onNotify: (payload) => {
        if (!/^\d+$/.test(payload) || BigInt(payload) > this.#horizon) this.wake();
      },
      onListen: () => {
        if (this.#lostSince !== undefined) {
          const seconds = ((Date.now() - this.#lostSince) / 1000).toFixed(1);
          this.#logger.log(
            `Change feed: listening again after ${seconds} s; catching up from position ${this.#horizon}.`,
          );
          this.#lostSince = undefined;
        }
        this.wake();
      },
      onLost: (error) => {
        if (this.#lostSince !== undefined) return;
        this.#lostSince = Date.now();
        const why = error instanceof Error ? error.message : String(error);
        this.#logger.warn(
          `Change feed: the listening connection is down (${why}); reconnecting, and reading the log every ${this.settings.pollMs} ms meanwhile.`,
        );
      },
    });
    if (this.#closed) {
      await this.#listener.close();
      return;
    }
    const poll = setInterval(() => this.wake(), this.settings.pollMs);
    const trim = setInterval(() => void this.trim(), this.settings.trimEveryMs);
    poll.unref();
    trim.unref();
    this.#timers.push(poll, trim);
    void this.trim();
  }

  /**
   * Where a new feed connection starts: after `since` if the log still holds everything
   * after it, else (trimmed, or a position this database never had) at the head, with a reset.
   */
  async resolve(since: bigint | undefined): Promise<{ position: bigint; reset: boolean }> {
    await this.start();
    const head = await readHead(this.#db);
    if (since === undefined) return { position: head, reset: false };
    if (since > head || (await readTrimmedThrough(this.#db)) > since) return { position: head, reset: true };
    return { position: since, reset: false };
  }

  /**
   * Sends `sink` every change after `after`, in order, until closed. Call after `resolve`.
   * `userId`: whose connection it is (counted by `connectionsOf`).
   */
  subscribe(after: bigint, sink: FeedSink, userId?: string): { close(): void } {
    if (!this.#starting) throw new Error("The feed hub is not started");
    const subscriber: Subscriber = { sink, userId, cursor: after, live: false, closed: false };
    this.#subscribers.add(subscriber);
    if (userId !== undefined) this.#perUser.set(userId, (this.#perUser.get(userId) ?? 0) + 1);
    void this.#catchUp(subscriber);
    let released = false;
    return {
      close: () => {
        subscriber.closed = true;
        this.#subscribers.delete(subscriber);
        // Counted until the connection closes, even when the hub ended it first.
        if (released || userId === undefined) return;
        released = true;
        const left = (this.#perUser.get(userId) ?? 1) - 1;
        if (left > 0) this.#perUser.set(userId, left);
        else this.#perUser.delete(userId);
      },
    };
  }

  /** The feed connections `userId` has open on this instance. */
  connectionsOf(userId: string): number {
    return this.#perUser.get(userId) ?? 0;
  }

  /** Every change read from now on, until the returned function is called. */
  async watch(watcher: FeedWatcher): Promise<() => void> {
    await this.start();
    this.#watchers.add(watcher);
    return () => this.#watchers.delete(watcher);
  }

  /**
   * Something committed (or may have): read the log, now or once `readGapMs` has passed
   * since the last read started. Reads never overlap; wakes during one, or while one
   * waits, coalesce into that next read.
   */
  wake() {
    if (this.#closed || !this.#starting) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#pumpTimer !== undefined) return;
    const wait = this.#readAt + this.settings.readGapMs - performance.now();
    if (wait <= 0) {
      void this.#pump();
      return;
    }
    this.#pumpTimer = setTimeout(() => {
      this.#pumpTimer = undefined;
      if (!this.#closed) void this.#pump();
    }, wait);
  }

  /** Deletes entries older than the retention. */
  async trim(): Promise<void> {
    try {
      await trimChangeLog(this.#db, this.settings.retentionMs);
    } catch (error) {
      if (!this.#closed) this.#logger.error(`Change feed: trimming the log failed: ${describeError(error)}`);
    }
  }

  /** Cuts the listening connection as a network failure would; it reconnects by itself (for tests). */
  async dropListener(): Promise<void> {
    await this.#listener?.drop();
  }

  /** Ends every feed connection and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearTimeout(this.#pumpTimer);
    for (const subscriber of this.#subscribers) {
      subscriber.closed = true;
      subscriber.sink.end();
    }
    this.#subscribers.clear();
    this.#watchers.clear();
    await this.#starting?.catch(() => {});
    await this.#listener?.close();
  }

  /** The last position the hub has read from the log (for tests and diagnostics). */
  get readThrough() {
    return this.#horizon;
  }

  /** Feed connections open now (for tests and diagnostics). */
  get subscriberCount() {
    return this.#subscribers.size;
  }

  async #pump() {
    this.#pumping = true;
    this.#pumpAgain = false;
    try {
      for (;;) {
        this.#readAt = performance.now();
        const { changes, trimmed } = await readChangesAfter(this.#db, this.#horizon, this.settings.batchSize);
        if (this.#closed) return;
        if (trimmed) {
          await this.#skipTrimmed();
          break;
        }
        for (const change of changes) this.#dispatch(change);
        if (changes.length < this.settings.batchSize) break;
      }
    } catch (error) {
      // The poll tries again.
      if (!this.#closed) this.#logger.error(`Change feed: reading the log failed: ${describeError(error)}`);
    } finally {
      this.#pumping = false;
    }
    // Woken during the read: read again, after the gap.
    if (this.#pumpAgain) this.wake();
  }

  #dispatch(change: FeedChange) {
    this.#horizon = change.position;
    this.#recent.push(change);
    this.#recentSize += change.frame.byteLength;
    while (this.#recent.length > 1 && this.#recentSize > this.settings.recentBytes) {
      const dropped = this.#recent.shift();
      if (!dropped) break;
      this.#recentSize -= dropped.frame.byteLength;
      this.#floor = dropped.position;
    }
    for (const subscriber of this.#subscribers) {
      if (subscriber.live) this.#send(subscriber, change);
    }
    for (const watcher of this.#watchers) {
      try {
        watcher.change(change);
      } catch (error) {
        this.#logger.error(`Change feed: a watcher failed: ${describeError(error)}`);
      }
    }
  }

  /**
   * The hub itself fell behind a trim (it could not read for longer than the retention):
   * everyone reading through it is reset to the head.
   */
  async #skipTrimmed() {
    const head = await readHead(this.#db);
    this.#logger.warn(
      `Change feed: entries after position ${this.#horizon} were trimmed before they were read; resetting feed connections to ${head}.`,
    );
    this.#horizon = head;
    this.#floor = head;
    this.#recent = [];
    this.#recentSize = 0;
    for (const subscriber of this.#subscribers) {
      // A connection already at the head (its own catch-up reset it there) has missed nothing.
      if (!subscriber.live || subscriber.closed || subscriber.cursor >= head) continue;
      subscriber.cursor = head;
      subscriber.sink.reset(head);
    }
    for (const watcher of this.#watchers) watcher.reset();
  }

  /**
   * Brings one subscriber from its position to the hub's: from memory when the recent
   * changes reach back to it, else from the log, batch by batch. Going live happens in
   * the same synchronous step as the last check, so no dispatch can slip in between.
   */
  async #catchUp(subscriber: Subscriber) {
    try {
      for (;;) {
        if (subscriber.closed) return;
        if (subscriber.cursor >= this.#floor) {
          for (const change of this.#recent) this.#send(subscriber, change);
          subscriber.live = true;
          return;
        }
        const { changes, trimmed } = await readChangesAfter(
          this.#db,
          subscriber.cursor,
          this.settings.batchSize,
        );
        if (subscriber.closed) return;
        // Nothing after it although the hub has read past it: only a trim takes entries away.
        if (trimmed || changes.length === 0) {
          const head = await readHead(this.#db);
          if (subscriber.closed) return;
          subscriber.cursor = head;
          subscriber.sink.reset(head);
          continue;
        }
        for (const change of changes) this.#send(subscriber, change);
      }
    } catch (error) {
      if (subscriber.closed) return;
      this.#logger.error(`Change feed: catching a connection up failed; closing it: ${describeError(error)}`);
      subscriber.closed = true;
      this.#subscribers.delete(subscriber);
      subscriber.sink.end();
    }
  }

  #send(subscriber: Subscriber, change: FeedChange) {
    if (subscriber.closed || change.position <= subscriber.cursor) return;
    subscriber.cursor = change.position;
    subscriber.sink.change(change);
  }
}
