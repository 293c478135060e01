import type { DbHandle, Listener } from "@tandem/db/client";
import { describeError } from "../http/database-error.ts";
import { consoleLog } from "../log.ts";
import { defaults } from "../settings.ts";
import {
  type Appended,
  FEED_CHANNEL,
  type FeedChange,
  feedChangeOf,
  readChangesAfter,
  readHead,
  readTrimmedThrough,
  SESSION_ENDED,
  trimChangeLog,
} from "./change-log.ts";
import { ReaderAccess, readMemberships, type SentChange, validSessions } from "./reader-access.ts";

export interface FeedSettings {
  /** The safety net: read the log this often even without a notification. */
  pollMs: number;
  /** A comment line this often on every idle feed connection, so proxies keep it open. */
  keepAliveMs: number;
  /** Entries older than this are trimmed; a client further behind refetches. */
  retentionMs: number;
  /** How often to trim (and once at start); by default a quarter of the retention, at most 5 minutes. */
  trimEveryMs: number;
  /**
   * The least time between two batches of changes sent out (from the start of one read of
   * the log, or one send of changes handed over, to the next): what comes in between
   * waits for it, so a burst of writes is one write on each feed connection.
   */
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
  change(change: SentChange): void;
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
  /** Whose connection it is and what they may read; none for the server's own readers (tests), which read everything. */
  reader: ReaderAccess | undefined;
  /** The last position sent to it. */
  cursor: bigint;
  /** Reading the log itself (false) or taking the hub's changes as they come (true). */
  live: boolean;
  closed: boolean;
}

/**
 * One per server instance: holds the one listening connection, reads the change log
 * from its horizon whenever a NOTIFY (or the poll) says something committed, and hands
 * each change, in position order, to its feed connections. Changes this instance wrote
 * come without a read (`handOver`, after their commit) when they directly follow what
 * it has sent. A connection that starts behind the hub reads the log on its own until it
 * catches up, then takes the hub's changes; that switch happens in one synchronous step,
 * so none is missed or sent twice.
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
  /** When the last batch started: a read of the log, or a send of changes handed over (performance.now()). */
  #batchAt = Number.NEGATIVE_INFINITY;
  /** A read waiting for `readGapMs` to pass. */
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** A send of handed-over changes waiting for `readGapMs` to pass. */
  #sendTimer: ReturnType<typeof setTimeout> | undefined;
  #lostSince: number | undefined;
  /** The last read of the log failed (logged once until one succeeds). */
  #readFailing = false;
  #logReads = 0;
  #closed = false;
  /** The last positions of this instance's appends whose transactions are still open. */
  readonly #pending = new Set<bigint>();
  /** This instance's appends sent but not answered yet (`appendSent`), by number. */
  readonly #unanswered = new Set<number>();
  #appendNumber = 0;
  /** Positions NOTIFY named while appends were unanswered, each with the appends it waits for. */
  readonly #unclaimed = new Map<bigint, Set<number>>();
  /** Appends handed over that cannot be sent yet, by the position they follow. */
  readonly #handedOver = new Map<bigint, FeedChange[]>();

  constructor(handle: DbHandle, options: FeedOptions = {}) {
    const { logger, ...settings } = options;
    this.#handle = handle;
    this.#logger = logger ?? consoleLog;
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
        if (payload.startsWith(SESSION_ENDED)) {
          this.#endSessions(new Set([payload.slice(SESSION_ENDED.length)]));
          return;
        }
        if (!/^\d+$/.test(payload)) return this.wake();
        const position = BigInt(payload);
        // This instance's own append comes by hand-over (or, if it fails, by `abandon`).
        if (position <= this.#horizon || this.#isOwn(position)) return;
        // Or it may be an append still unanswered: its NOTIFY can come first (`appendSent`).
        if (this.#unanswered.size === 0) return this.wake();
        this.#unclaimed.set(position, new Set(this.#unanswered));
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
    const poll = setInterval(() => {
      this.wake();
      void this.#checkSessions();
    }, this.settings.pollMs);
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
   * `reader`: whose connection it is (counted by `connectionsOf`) and what they may read.
   */
  subscribe(after: bigint, sink: FeedSink, reader?: ReaderAccess): { close(): void } {
    if (!this.#starting) throw new Error("The feed hub is not started");
    const subscriber: Subscriber = { sink, reader, cursor: after, live: false, closed: false };
    const userId = reader?.userId;
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

  /**
   * What a connection of this user may read, from their memberships now. Read after
   * `resolve`: a membership that changed in between is applied again as the connection
   * passes its entry, which changes nothing.
   */
  async readerFor(userId: string, sessionId: string | undefined): Promise<ReaderAccess> {
    const memberships = await readMemberships(this.#db, [userId]);
    return new ReaderAccess(userId, sessionId, memberships.get(userId) ?? []);
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
   * An append of this instance whose transaction has not committed yet, by its last
   * position: its NOTIFY wakes no read, since its changes will be handed over.
   */
  expect(position: bigint) {
    this.#pending.add(position);
  }

  /**
   * An append of this instance is on its way, its position not known yet: it goes out
   * with its COMMIT (`sendLast`), and the NOTIFY that commit sends can be read, on the
   * listening connection, before the append's answer is. A NOTIFY read meanwhile waits
   * for the appends then unanswered (`appendAnswered`): a position none of them turns out to
   * have is another writer's, and is read. (Decided at once, 892 of 1,000 POSTs' own
   * NOTIFYs woke a read of the log.) Answers the number to pass to `appendAnswered`.
   */
  appendSent(): number {
    const id = this.#appendNumber++;
    this.#unanswered.add(id);
    return id;
  }

  /** The append `appendSent` numbered is answered: after `expect` when it succeeded. */
  appendAnswered(id: number) {
    this.#unanswered.delete(id);
    for (const [position, waiting] of this.#unclaimed) {
      waiting.delete(id);
      if (waiting.size > 0) continue;
      this.#unclaimed.delete(position);
      if (position > this.#horizon && !this.#isOwn(position)) this.wake();
    }
  }

  /**
   * Whether `position` ends an append of this instance that the hub gets without a read:
   * its transaction still open (`expect`), or handed over and waiting to be sent (its
   * NOTIFY can be read after the hand-over).
   */
  #isOwn(position: bigint): boolean {
    if (this.#pending.has(position)) return true;
    for (const changes of this.#handedOver.values()) if (changes.at(-1)?.position === position) return true;
    return false;
  }

  /** The transaction of an expected append did not commit (or its hand-over failed): read the log. */
  abandon(position: bigint) {
    if (this.#pending.delete(position)) this.wake();
  }

  /**
   * Changes this instance appended, handed over once their transaction committed. They
   * are sent without reading them back when the hub has sent everything up to the
   * position they follow: the feed lock lets nothing commit in between. Otherwise they
   * wait for the reads that bring the hub there (a write of another instance, say);
   * whatever the log already gave the hub is dropped, so nothing goes out twice.
   */
  handOver({ entries, follows }: Appended) {
    const last = entries.at(-1)?.position;
    if (last === undefined) return;
    this.#pending.delete(last);
    if (this.#closed || !this.#starting) return;
    if (follows === undefined) {
      this.wake();
      return;
    }
    if (last <= this.#horizon) return;
    this.#handedOver.set(follows, entries.map(feedChangeOf));
    this.#sendSoon();
  }

  /** Sends what was handed over now, or once `readGapMs` has passed since the last batch. */
  #sendSoon() {
    if (this.#pumping || this.#sendTimer !== undefined) return;
    const wait = this.#batchAt + this.settings.readGapMs - performance.now();
    if (wait <= 0) {
      this.#batchAt = performance.now();
      this.#sendHandedOver();
      return;
    }
    this.#sendTimer = setTimeout(() => {
      this.#sendTimer = undefined;
      if (this.#closed || this.#pumping) return;
      this.#batchAt = performance.now();
      this.#sendHandedOver();
    }, wait);
  }

  /**
   * Sends the handed-over changes that follow the horizon, in order; drops those the
   * log gave already; reads the log when some still wait for changes before them.
   */
  #sendHandedOver() {
    if (this.#pumping || this.#handedOver.size === 0) return;
    for (let next = this.#handedOver.get(this.#horizon); next; next = this.#handedOver.get(this.#horizon)) {
      this.#handedOver.delete(this.#horizon);
      for (const change of next) this.#dispatch(change);
    }
    for (const [follows, changes] of this.#handedOver) {
      const last = changes.at(-1)?.position ?? follows;
      if (last <= this.#horizon) this.#handedOver.delete(follows);
    }
    if (this.#handedOver.size > 0) this.wake();
  }

  /**
   * Something committed (or may have): read the log, now or once `readGapMs` has passed
   * since the last batch started. Reads never overlap; wakes during one, or while one
   * waits, coalesce into that next read.
   */
  wake() {
    if (this.#closed || !this.#starting) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#pumpTimer !== undefined) return;
    const wait = this.#batchAt + this.settings.readGapMs - performance.now();
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
    clearTimeout(this.#sendTimer);
    for (const subscriber of this.#subscribers) {
      subscriber.closed = true;
      subscriber.sink.end();
    }
    this.#subscribers.clear();
    this.#watchers.clear();
    this.#handedOver.clear();
    this.#pending.clear();
    this.#unclaimed.clear();
    await this.#starting?.catch(() => {});
    await this.#listener?.close();
  }

  /** The last position the hub has read from the log (for tests and diagnostics). */
  get readThrough() {
    return this.#horizon;
  }

  /** The reads of the log the hub has made (for tests and diagnostics). */
  get logReads() {
    return this.#logReads;
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
        this.#batchAt = performance.now();
        this.#logReads++;
        const { changes, trimmed } = await readChangesAfter(this.#db, this.#horizon, this.settings.batchSize);
        if (this.#closed) return;
        if (trimmed) {
          await this.#skipTrimmed();
          break;
        }
        for (const change of changes) this.#dispatch(change);
        if (changes.length < this.settings.batchSize) break;
      }
      if (this.#readFailing) this.#logger.log("Change feed: reading the log works again.");
      this.#readFailing = false;
    } catch (error) {
      // The poll tries again; one line per outage, not one per poll.
      if (!this.#closed && !this.#readFailing) {
        this.#logger.error(
          `Change feed: reading the log failed: ${describeError(error)}; retrying every poll.`,
        );
      }
      this.#readFailing = true;
    } finally {
      this.#pumping = false;
    }
    // Handed over during the read, or waiting for it.
    this.#sendHandedOver();
    // Woken during the read: read again, after the gap.
    if (this.#pumpAgain) this.wake();
  }

  #dispatch(change: FeedChange) {
    if (change.position <= this.#horizon) return;
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
    const resetting = [...this.#subscribers].filter(
      (subscriber) => subscriber.live && subscriber.cursor < head,
    );
    try {
      await this.#reloadAccess(resetting);
    } catch (error) {
      // Without its user's memberships a connection cannot go on: it reconnects and starts afresh.
      this.#logger.error(
        `Change feed: reading memberships failed; closing the reset connections: ${describeError(error)}`,
      );
      for (const subscriber of resetting) this.#end(subscriber);
      return;
    }
    for (const subscriber of resetting) {
      if (subscriber.closed) continue;
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
          await this.#reloadAccess([subscriber]);
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
      this.#end(subscriber);
    }
  }

  #send(subscriber: Subscriber, change: FeedChange) {
    if (subscriber.closed || change.position <= subscriber.cursor) return;
    subscriber.cursor = change.position;
    if (!subscriber.reader) {
      subscriber.sink.change(change);
      return;
    }
    subscriber.reader.send(change, subscriber.sink);
  }

  /** Reads again what the readers of `subscribers` may see: entries they will never pass were skipped. */
  async #reloadAccess(subscribers: Subscriber[]) {
    const readers = subscribers.flatMap((subscriber) => (subscriber.reader ? [subscriber.reader] : []));
    if (readers.length === 0) return;
    const memberships = await readMemberships(this.#db, [...new Set(readers.map((reader) => reader.userId))]);
    for (const reader of readers) reader.replaceProjects(memberships.get(reader.userId) ?? []);
  }

  /** Ends the connections opened with one of these sessions (signed out, on this instance or another). */
  #endSessions(ended: ReadonlySet<string>) {
    for (const subscriber of this.#subscribers) {
      const sessionId = subscriber.reader?.sessionId;
      if (sessionId !== undefined && ended.has(sessionId)) this.#end(subscriber);
    }
  }

  #end(subscriber: Subscriber) {
    subscriber.closed = true;
    this.#subscribers.delete(subscriber);
    subscriber.sink.end();
  }

  /**
   * The backstop for a missed notification (the listener was down) and for sessions that
   * simply expired: every poll, the sessions of the open connections are looked up once.
   */
  async #checkSessions() {
    const open = new Set<string>();
    for (const subscriber of this.#subscribers) {
      if (subscriber.reader?.sessionId !== undefined) open.add(subscriber.reader.sessionId);
    }
    if (open.size === 0 || this.#closed) return;
    try {
      const valid = await validSessions(this.#db, [...open]);
      this.#endSessions(new Set([...open].filter((id) => !valid.has(id))));
    } catch (error) {
      if (!this.#closed && !this.#readFailing) {
        this.#logger.error(`Change feed: checking sessions failed: ${describeError(error)}`);
      }
    }
  }
}
