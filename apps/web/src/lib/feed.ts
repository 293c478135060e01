import {
  FEED_READY_EVENT,
  FEED_RESET_EVENT,
  type FeedEvent,
  feedEventSchema,
  feedPositionSchema,
} from "@tandem/shared";
import { errorOf } from "./api.ts";
import { storageNames } from "./storage-names.ts";

/**
 * The change feed, one connection per browser: the tab holding a Web Lock is the
 * leader and keeps the one `GET /api/changes` stream (HTTP/1.1 allows six connections
 * per origin, shared by every tab); it passes each event to the other tabs over a
 * BroadcastChannel. When the leader closes, another tab takes the lock and resumes
 * from the last position every tab has seen.
 */
export type FeedStatus = "online" | "reconnecting" | "offline" | "refused";

export interface FeedHandlers {
  /** Settles once the first snapshot is in: the feed must not start before a known position. */
  ready: Promise<unknown>;
  /** The position to resume after: the newest one this tab knows (from snapshots or events). */
  position(): string | undefined;
  change(position: string, event: FeedEvent): void;
  /** The server no longer has the log since our position: refetch every snapshot. */
  reset(position: string): void;
  /**
   * The connection failed or ended while the browser is online. EventSource does not
   * say why: the session may have ended (a 401), which the app asks the server about.
   */
  dropped(): void;
}

type Broadcast =
  | { type: "change"; position: string; event: FeedEvent }
  | { type: "reset"; position: string }
  | { type: "status"; connected: boolean; refusal?: string }
  /** A tab that just opened asks the leader how the feed is. */
  | { type: "hello" };

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;

let status: FeedStatus = typeof navigator !== "undefined" && !navigator.onLine ? "offline" : "reconnecting";
const statusListeners = new Set<() => void>();

export function feedStatus(): FeedStatus {
  return status;
}

/** While the status is "refused": the server's words (e.g. too many connections open). */
export function feedRefusal(): string | undefined {
  return refusal;
}

export function onFeedStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

function setStatus(next: FeedStatus) {
  if (next === status) return;
  status = next;
  for (const listener of statusListeners) listener();
}

/** Whether the feed (ours, or the leader tab's) is connected or refused, and whether we are offline. */
let connected = false;
let refusal: string | undefined;
function updateStatus() {
  setStatus(!navigator.onLine ? "offline" : connected ? "online" : refusal ? "refused" : "reconnecting");
}

export function startFeed(handlers: FeedHandlers): void {
  const channel = "BroadcastChannel" in window ? new BroadcastChannel(storageNames.feedChannel()) : undefined;
  let leading = false;

  const deliver = (message: Broadcast) => {
    if (message.type === "change") handlers.change(message.position, message.event);
    else if (message.type === "reset") handlers.reset(message.position);
    else if (message.type === "hello") {
      if (leading) channel?.postMessage({ type: "status", connected, refusal } satisfies Broadcast);
    } else if (!leading) {
      connected = message.connected;
      refusal = message.refusal;
      updateStatus();
    }
  };
  channel?.addEventListener("message", (event: MessageEvent<Broadcast>) => deliver(event.data));
  const publish = (message: Broadcast) => {
    deliver(message);
    channel?.postMessage(message);
  };

  window.addEventListener("offline", updateStatus);
  window.addEventListener("online", updateStatus);
  channel?.postMessage({ type: "hello" } satisfies Broadcast);

  const lead = () => {
    leading = true;
    void handlers.ready.then(() => connect(handlers, publish));
  };
  if ("locks" in navigator) {
    // Held until the tab closes; the next tab in line then leads.
    void navigator.locks.request(storageNames.feedLeaderLock(), () => {
      lead();
      return new Promise<never>(() => {});
    });
  } else {
    lead();
  }
}

function connect(handlers: FeedHandlers, publish: (message: Broadcast) => void) {
  let retryMs = RETRY_MIN_MS;
  let source: EventSource | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setConnected = (value: boolean, refused?: string) => {
    connected = value;
    refusal = refused;
    updateStatus();
    publish({ type: "status", connected: value, refusal: refused });
  };

  const open = () => {
    clearTimeout(retryTimer);
    source?.close();
    const position = handlers.position();
    // Each (re)connection names its position; EventSource's own retry would reuse the first URL.
    const url = position ? `/api/changes?since=${position}` : "/api/changes";
    const opened = new EventSource(url);
    source = opened;
    let ready = false;
    opened.addEventListener(FEED_READY_EVENT, () => {
      ready = true;
      retryMs = RETRY_MIN_MS;
      setConnected(true);
    });
    opened.addEventListener(FEED_RESET_EVENT, (event) => {
      const { position } = feedPositionSchema.parse(JSON.parse(event.data));
      publish({ type: "reset", position });
    });
    opened.addEventListener("message", (event) => {
      const change = feedEventSchema.safeParse(JSON.parse(event.data));
      if (change.success) publish({ type: "change", position: event.lastEventId, event: change.data });
      else console.error("Unreadable change event", event.data, change.error);
    });
    opened.addEventListener("error", () => {
      opened.close();
      if (paused || opened !== source) return;
      if (!navigator.onLine || ready) return retry(undefined);
      // Refused before it was ready: EventSource hides the answer, so ask for it plainly.
      void refusalOf(url).then((refused) => {
        if (paused || opened !== source) return;
        if (refused) {
          setConnected(false, refused.message);
          clearTimeout(retryTimer);
          retryTimer = setTimeout(open, refused.retryAfterMs);
        } else retry(undefined);
      });
    });
  };

  const retry = (refused: string | undefined) => {
    setConnected(false, refused);
    if (navigator.onLine) handlers.dropped();
    clearTimeout(retryTimer);
    retryTimer = setTimeout(open, navigator.onLine ? retryMs : RETRY_MAX_MS);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  window.addEventListener("online", () => {
    retryMs = RETRY_MIN_MS;
    if (!paused) open();
  });
  pause = () => {
    clearTimeout(retryTimer);
    source?.close();
    setConnected(false);
  };
  resume = () => {
    retryMs = RETRY_MIN_MS;
    open();
  };
  if (!paused) open();
}

/**
 * Why the server refuses the feed, when it does for a reason the user can act on
 * (`feed_limit`: too many connections of this user). Anything else (a 401, a server
 * that is down) is left to the reconnect loop and the session check.
 */
async function refusalOf(url: string): Promise<{ message: string; retryAfterMs: number } | undefined> {
  const request = new AbortController();
  try {
    const response = await fetch(url, { signal: request.signal, headers: { accept: "text/event-stream" } });
    if (response.ok) return undefined;
    const error = await errorOf(response);
    if (error.code !== "feed_limit") return undefined;
    return { message: error.message, retryAfterMs: (error.retryAfterSeconds ?? RETRY_MAX_MS / 1000) * 1000 };
  } catch {
    return undefined;
  } finally {
    // An accepted stream is not read: close it at once, freeing its place.
    request.abort();
  }
}

/** Whether the feed is held (the session ended, or the user is signing out): no connection, no retry. */
let paused = false;
let pause: (() => void) | undefined;
let resume: (() => void) | undefined;

/** Closes this tab's feed connection (if it leads) and keeps it closed until `resumeFeed`. */
export function pauseFeed(): void {
  if (paused) return;
  paused = true;
  pause?.();
}

export function resumeFeed(): void {
  if (!paused) return;
  paused = false;
  resume?.();
}
