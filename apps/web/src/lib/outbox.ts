import type { Message, Project } from "@tandem/shared";
import { ApiRequestError, describeError } from "./api.ts";
import { newId } from "./ids.ts";
import {
  type Delivered,
  inOrder,
  isPlainSend,
  isRefusal,
  laneOf,
  type Notice,
  type NoticeEffect,
  nextBackoff,
  nextPerLane,
  type OutboxEntry,
  type OutboxWrite,
  RETRY_MAX_MS,
  receiveNotice,
  rowIdOf,
  withPendingWrites,
} from "./outbox-rules.ts";
import { outboxStore, type StoredEntry } from "./outbox-store.ts";
import { storageNames } from "./storage-names.ts";

/**
 * The durable outbox. The collections' write handlers hand every write here: it is
 * announced to the other tabs at once (before the disk write settles), stored
 * (IndexedDB; it survives a reload and a closed tab), and sent by one tab (the holder of
 * a Web Lock) when the server can be reached: in order within a project, projects side
 * by side. Retries are safe: ids are made in the browser and the server is idempotent.
 *
 * - accepted: every tab puts the server's row (carried by the notice) in place of the
 *   user's;
 * - refused for good (4xx): it leaves the outbox, is undone, and kept as failed (with
 *   Retry); the writes behind it go on;
 * - not received (no connection, a 5xx, a reply still being written in the project): it
 *   stays first in its project's line and is sent again with backoff, at once when the
 *   connection returns or the user presses Retry.
 *
 * What a write does to the collections (show, confirm, roll back) and how it reaches the
 * server are wired in from sync/ (`configureOutbox`): this module knows no collection.
 */
export interface OutboxWiring {
  /** Shows a write as the user made it in this tab's collections (sync; never waits). */
  show(write: OutboxWrite): void;
  /** Puts the server's row in place of the user's. */
  confirm(delivered: Delivered): void;
  /** Undoes a refused write and keeps it as failed. */
  rollBack(write: OutboxWrite, error: string, status: number, current: unknown): void;
  /** Sends one write; answers what the server stored. Throws an ApiRequestError. */
  deliver(write: OutboxWrite): Promise<Delivered>;
}

let wiring: OutboxWiring | undefined;
let entries: ReadonlyMap<string, OutboxEntry> = new Map();
const listeners = new Set<() => void>();
let version = 0;

/** Opened by `startOutbox`, once the user (whose channel it is) is known. */
let channel: BroadcastChannel | undefined;

let markLoaded!: () => void;
/** Settles once the writes stored by earlier visits are known: loaders wait for it. */
const loaded = new Promise<void>((resolve) => {
  markLoaded = resolve;
});

function changed() {
  version++;
  for (const listener of listeners) listener();
}

/** For useSyncExternalStore: the outbox as this tab sees it. */
export const outboxState = {
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  version: () => version,
  count: () => entries.size,
  /** Whether a write to this row waits for the server. */
  pending(id: string): boolean {
    for (const entry of entries.values()) if (rowIdOf(entry.write) === id) return true;
    return false;
  },
  /**
   * Whether this row is a message sent as a plain send (not an edit, not a regenerate)
   * that waits for the server: the server decides where it goes (see branchOf).
   */
  plainSend(id: string): boolean {
    for (const entry of entries.values())
      if (isPlainSend(entry.write) && entry.write.message.id === id) return true;
    return false;
  },
  /** The last failed attempt at sending this row's write, while it waits to be sent again. */
  failure(id: string): string | undefined {
    for (const entry of entries.values()) {
      if (rowIdOf(entry.write) === id && entry.attempts > 0) return entry.error;
    }
    return undefined;
  },
};

/** The writes waiting, in the order they were made. */
export function pendingWrites(rowId?: string): OutboxWrite[] {
  const writes = inOrder(entries.values()).map((entry) => entry.write);
  return rowId === undefined ? writes : writes.filter((write) => rowIdOf(write) === rowId);
}

/**
 * Settles once the writes stored by earlier visits are known. A loader waits for it
 * before it reads, then lays the unsent writes over what it read.
 */
export function outboxLoaded(): Promise<void> {
  return loaded;
}

/** A projects snapshot with this browser's unsent project writes in it (for the loader). */
export function withPendingProjects(rows: Project[]): Project[] {
  return withPendingWrites(rows, pendingWrites(), (write) => write.kind !== "sendMessage");
}

/** A project's messages (a snapshot or a window) with this browser's unsent messages in it (for the loader). */
export function withPendingMessages(projectId: string, rows: Message[]): Message[] {
  return withPendingWrites(
    rows,
    pendingWrites(),
    (write) => write.kind === "sendMessage" && write.message.projectId === projectId,
  );
}

export function configureOutbox(wired: OutboxWiring): void {
  wiring = wired;
}

/**
 * Adds a write: every tab shows it now, and it is stored. Resolves once it is stored
 * (a write handler waits for that, not for the server).
 */
async function enqueue(write: OutboxWrite): Promise<void> {
  const entry: OutboxEntry = { id: newId(), write, attempts: 0 };
  notify({ type: "enqueued", entry });
  let seq: number;
  try {
    seq = await outboxStore.add(entry);
  } catch (error) {
    notify({ type: "refused", id: entry.id, error: "Couldn't keep the change in this browser", status: 0 });
    throw error;
  }
  notify({ type: "stored", id: entry.id, seq });
}

/**
 * A collection's write handler: hands each mutation of the transaction to the outbox,
 * waits until they are stored in this browser (never for the server) and tells the
 * collection not to refetch (the outbox puts the server's rows in when they come).
 */
export async function handToOutbox<M>(
  mutations: M[],
  write: (mutation: M) => OutboxWrite,
): Promise<{ refetch: false }> {
  await Promise.all(mutations.map((mutation) => enqueue(write(mutation))));
  return { refetch: false };
}

/** Sends the waiting writes again now (the user pressed Retry). */
export function retryNow(): void {
  notify({ type: "retry-now" });
}

function notify(notice: Notice) {
  receive(notice);
  channel?.postMessage(notice);
}

function receive(notice: Notice) {
  const before = entries;
  const { entries: after, effects } = receiveNotice(entries, notice);
  entries = after;
  if (after !== before) changed();
  for (const effect of effects) {
    try {
      run(effect);
    } catch (error) {
      // One tab's view of a write going wrong must not stop the outbox (nor the notices after it).
      console.warn("The outbox could not apply a change here", effect.type, error);
    }
  }
}

function run(effect: NoticeEffect) {
  switch (effect.type) {
    case "show":
      wiring?.show(effect.write);
      return;
    case "confirm":
      wiring?.confirm(effect.delivered);
      return;
    case "roll-back":
      wiring?.rollBack(effect.write, effect.error, effect.status, effect.current);
      return;
    case "wake":
      wake(effect.now);
      return;
  }
}

// --- Sending: one tab at a time, one write at a time per project ------------------

const UNAUTHORIZED = 401;
const SIGN_IN_AGAIN = "Sign in again to send it";

/**
 * The server answered 401 (the session ended): nothing is sent until `resumeSending`
 * (the same user signed in again). Nothing is dropped meanwhile.
 */
let paused = false;

/** Holds sending (the session ended, or the user signs out) until `resumeSending`. */
export function pauseSending(): void {
  paused = true;
}

/** The same user signed in again: send what waits, now. */
export function resumeSending(): void {
  paused = false;
  wake(true);
}

/** Projects with a write on its way. */
const inFlight = new Set<string>();
/**
 * Writes this tab has sent and that the server answered for good. A read of the store
 * begun before such a write was removed still lists it: it must not go out twice.
 */
const answered = new Set<string>();
/** Projects whose first write failed: when to try again, and the wait that led there. */
const backoff = new Map<string, { at: number; ms: number }>();
let wakeUp: (() => void) | undefined;
let woken = false;

function wake(now = false) {
  if (now) backoff.clear();
  woken = true;
  wakeUp?.();
}

function nextWake(ms: number): Promise<void> {
  if (woken) {
    woken = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wakeUp = undefined;
      woken = false;
      resolve();
    }
    wakeUp = done;
  });
}

async function attempt(first: StoredEntry): Promise<void> {
  const lane = laneOf(first.write);
  let outcome: Notice;
  try {
    if (!wiring) throw new Error("The outbox is not wired");
    const delivered = await wiring.deliver(first.write);
    answered.add(first.id);
    await outboxStore.remove(first.seq);
    backoff.delete(lane);
    outcome = { type: "delivered", id: first.id, delivered };
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === UNAUTHORIZED) {
      // The session ended: the write waits, unchanged, until the same user signs in again.
      paused = true;
      outcome = { type: "attempted", id: first.id, attempts: first.attempts, error: SIGN_IN_AGAIN };
    } else if (error instanceof ApiRequestError && isRefusal(error.status, error.code)) {
      answered.add(first.id);
      await outboxStore.remove(first.seq);
      backoff.delete(lane);
      outcome = {
        type: "refused",
        id: first.id,
        error: describeError(error),
        status: error.status,
        current: error.current,
      };
    } else {
      const attempts = first.attempts + 1;
      await outboxStore.put({ ...first, attempts, error: describeError(error) });
      const ms = nextBackoff(backoff.get(lane)?.ms);
      backoff.set(lane, { at: Date.now() + ms, ms });
      outcome = { type: "attempted", id: first.id, attempts, error: describeError(error) };
    }
  }
  notify(outcome);
}

async function sendAll(): Promise<never> {
  for (;;) {
    const stored = navigator.onLine && !paused ? await outboxStore.all() : [];
    // An answered write this read no longer lists is gone for good: forget it.
    if (navigator.onLine && !paused) {
      const listed = new Set(stored.map((entry) => entry.id));
      for (const id of answered) if (!listed.has(id)) answered.delete(id);
    }
    const now = Date.now();
    let wait = RETRY_MAX_MS;
    for (const first of nextPerLane(stored.filter((entry) => !answered.has(entry.id)))) {
      const lane = laneOf(first.write);
      if (inFlight.has(lane)) continue;
      const retryAt = backoff.get(lane)?.at ?? 0;
      if (retryAt > now) {
        wait = Math.min(wait, retryAt - now);
        continue;
      }
      inFlight.add(lane);
      void attempt(first).finally(() => {
        inFlight.delete(lane);
        wake();
      });
    }
    await nextWake(wait);
  }
}

/**
 * Learns the writes still unsent from earlier visits (loaders lay them over what they
 * read), follows the other tabs, and starts sending when this tab gets the sender's lock.
 */
export async function startOutbox(): Promise<void> {
  channel =
    typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel(storageNames.outboxChannel());
  channel?.addEventListener("message", (event: MessageEvent<Notice>) => receive(event.data));
  window.addEventListener("online", () => wake(true));
  try {
    const known = new Map(entries);
    for (const stored of await outboxStore.all()) if (!known.has(stored.id)) known.set(stored.id, stored);
    entries = known;
    changed();
  } finally {
    markLoaded();
  }
  if ("locks" in navigator) {
    void navigator.locks.request(storageNames.outboxSenderLock(), () => sendAll());
  } else {
    void sendAll();
  }
}
