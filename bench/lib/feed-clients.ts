/**
 * Feed clients in a process of their own (forked by the feed fan-out case), so that the
 * case measures the server, not the bench's own event handling. The parent sends a
 * `FeedClientsStart`; this process opens that many SSE connections on GET /api/changes,
 * answers `ready` once every one has had the feed's ready event, records per write (by
 * its index in `ids`) how often each client got it and its lag, and on `stop` closes them
 * and answers `done` with the records.
 */
import { EventSource } from "eventsource";

export interface FeedClientsStart {
  type: "start";
  url: string;
  clients: number;
  /** The ids of the rows the case writes, in order: a change's index is its id's. */
  ids: string[];
  readyEvent: string;
}

export interface FeedClientsDone {
  type: "done";
  /** Per client, per write: how many times it got the write's event. */
  received: Uint8Array[];
  /** Per client, per write: arrival − the row's updatedAt, in ms. */
  lag: Float64Array[];
  /** Events for rows the case did not write. */
  unexpected: number;
}

export type FeedClientsMessage = { type: "ready" } | { type: "failed"; message: string } | FeedClientsDone;

/** Sub-millisecond wall-clock time, comparable with the server's timestamps. */
const now = () => performance.timeOrigin + performance.now();

const send = (message: FeedClientsMessage, sent?: () => void) => process.send?.(message, undefined, {}, sent);

function run({ url, clients, ids, readyEvent }: FeedClientsStart) {
  const index = new Map(ids.map((id, i) => [id, i]));
  const received = Array.from({ length: clients }, () => new Uint8Array(ids.length));
  const lag = Array.from({ length: clients }, () => new Float64Array(ids.length));
  let unexpected = 0;
  let ready = 0;
  const sources = received.map((counts, c) => {
    const source = new EventSource(`${url}/api/changes`);
    source.addEventListener(readyEvent, () => ++ready === clients && send({ type: "ready" }), { once: true });
    source.onerror = (error) => send({ type: "failed", message: `feed connection failed: ${error.message}` });
    source.onmessage = (event) => {
      const at = now();
      const change = JSON.parse(event.data) as { id: string; row: { updatedAt?: string } };
      const i = index.get(change.id);
      if (i === undefined) {
        unexpected++;
        return;
      }
      counts[i] = (counts[i] ?? 0) + 1;
      const lags = lag[c];
      if (lags) lags[i] = at - Date.parse(change.row.updatedAt ?? "");
    };
    return source;
  });
  return (sent: () => void) => {
    for (const source of sources) source.close();
    send({ type: "done", received, lag, unexpected }, sent);
  };
}

let stop: ((sent: () => void) => void) | undefined;
process.on("message", (message: FeedClientsStart | { type: "stop" }) => {
  if (message.type === "start") stop = run(message);
  // Disconnecting only once the report is handed over: a large one is still being written.
  else if (stop) stop(() => process.disconnect());
  else process.disconnect();
});
