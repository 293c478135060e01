import { type ListMessagesQuery, MESSAGES_PAGE_MAX, type Message, messageSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import {
  BTreeIndex,
  createCollection,
  extractSimpleComparisons,
  type LoadSubsetOptions,
} from "@tanstack/react-db";
import { ApiRequestError, api, sendSnapshot } from "../lib/api.ts";
import { feedStatus, onFeedStatus } from "../lib/feed.ts";
import { handToOutbox, outboxLoaded, withPendingMessages } from "../lib/outbox.ts";
import { queryClient } from "../lib/query-client.ts";
import {
  readWindow as readStoredWindow,
  replica,
  replicaHolds,
  type WindowBounds,
  type WindowRange,
} from "../lib/replica.ts";
import { messagesScope, parseMessage, readWindow } from "../lib/snapshots.ts";
import { takesOver } from "../lib/version-merge.ts";

/**
 * The order messages are read in. Lexical: ISO times sort right as plain strings, and
 * on-demand loading pushes a string cursor down only with a lexical sort on both the
 * query and the index (with the default locale collation it silently loads everything).
 */
export const byCreatedAt = { direction: "desc", nulls: "first", stringSort: "lexical" } as const;

/** What a demand without a limit gets: nothing loads a whole history unasked. */
const UNBOUNDED_WINDOW = 200;

/** A window of messages, as the API reads it (`GET /api/projects/:id/messages`). */
export type WindowQuery = Omit<ListMessagesQuery, "limit"> & { limit: number };

/**
 * What a live query over the messages asks for, as an API window. The chat asks for the
 * newest N (`orderBy createdAt desc, limit`), then the rows that tie with the window's
 * last time (`eq(createdAt, t)`), then the next older window (`lt(createdAt, t)`, as a
 * cursor). A chat held at an older message (a search hit) adds its upper bound
 * (`lt(createdAt, bound)`) to each: the newest N below the lowest bound. A demand
 * without a limit gets one window, never the whole history; any other filter would need
 * a read the API has not got, and fails loudly.
 */
export function windowQuery(options: LoadSubsetOptions | undefined): WindowQuery {
  const comparisons = [
    ...extractSimpleComparisons(options?.where),
    ...extractSimpleComparisons(options?.cursor?.whereFrom),
  ];
  // A demand without a limit (the whole source) is answered with one window too.
  const limit = Math.min(options?.limit ?? UNBOUNDED_WINDOW, MESSAGES_PAGE_MAX);
  if (comparisons.length === 0) return { newest: "true", limit };
  const times = comparisons.every(
    (comparison) =>
      comparison.field.at(-1) === "createdAt" &&
      typeof comparison.value === "string" &&
      (comparison.operator === "eq" || comparison.operator === "lt"),
  );
  if (times) {
    const values = (operator: string) =>
      comparisons.filter((c) => c.operator === operator).map((c) => c.value as string);
    const [tie, ...otherTies] = values("eq");
    // The ties of a time below every bound: that millisecond's rows.
    if (tie !== undefined && otherTies.length === 0) return { createdAt: tie, limit: MESSAGES_PAGE_MAX };
    const below = values("lt").sort()[0];
    if (tie === undefined && below !== undefined) return { createdBefore: below, limit };
  }
  throw new Error(`Messages cannot be loaded by ${JSON.stringify(comparisons)}`);
}

/** The same window in the replica, and the time range it covers once read from the server. */
function windowBounds(query: WindowQuery): WindowBounds | undefined {
  if (query.newest) return { newest: true };
  if (query.createdBefore) return { below: query.createdBefore };
  if (query.createdAt) return { at: query.createdAt };
  return undefined;
}

function windowRange(query: WindowQuery, rows: Message[]): WindowRange | undefined {
  // A full window may cut a millisecond's ties: its oldest time is left out of the range.
  const full = rows.length >= query.limit;
  const from = full ? (rows[0]?.createdAt ?? "") : "";
  if (query.newest) return { from, fromOpen: full, to: "\uffff", toOpen: false };
  if (query.createdBefore) return { from, fromOpen: full, to: query.createdBefore, toOpen: true };
  if (query.createdAt && !full)
    return { from: query.createdAt, fromOpen: false, to: query.createdAt, toOpen: false };
  return undefined;
}

async function fetchWindow(projectId: string, query: WindowQuery) {
  try {
    return await sendSnapshot(() =>
      api.projects[":id"].messages.$get({
        param: { id: projectId },
        query: { ...query, limit: String(query.limit) },
      }),
    );
  } catch (error) {
    // A project the server does not know (not saved, or deleted) has no messages.
    if (error instanceof ApiRequestError && error.status === 404) return { rows: [], position: undefined };
    throw error;
  }
}

/** What a project's loader remembers between its reads. */
interface WindowState {
  /** The server has answered a window: later reads go to it first. */
  fromServer: boolean;
  /** The background read from the server, due after a first paint from the replica. */
  reconcile?: () => void;
  /** The chat has shown what the replica answered (or gave up waiting to). */
  shown: boolean;
  /** Windows being read from the replica now. */
  replicaReads: number;
  /** Set while a window was answered without the server: stops waiting for it to answer again. */
  awaitingServer?: () => void;
  /**
   * The window last read around a message (`loadAround`), oldest first: a contiguous
   * stretch of the history, so the chat's first demands on it (the page up to a bound
   * inside it, that page's ties) are answered from it, with no second read.
   */
  held?: HeldStretch;
}

interface HeldStretch {
  rows: Message[];
  /** It begins at the project's first message: nothing is older. */
  fromStart: boolean;
}

/**
 * A window answered from the held stretch, when the stretch surely holds all of it:
 * every row below the time asked that is newer than the stretch's first millisecond
 * (whose ties may reach before it), and nothing past its last millisecond.
 */
export function fromHeld(held: HeldStretch | undefined, query: WindowQuery): Message[] | undefined {
  const rows = held?.rows ?? [];
  const first = rows[0]?.createdAt;
  const last = rows.at(-1)?.createdAt;
  if (!held || first === undefined || last === undefined) return undefined;
  const covers = (time: string) => (held.fromStart ? time >= first : time > first);
  if (query.createdAt !== undefined) {
    const at = query.createdAt;
    return covers(at) && at < last ? rows.filter((row) => row.createdAt === at) : undefined;
  }
  if (query.createdBefore === undefined || query.createdBefore > last) return undefined;
  const bound = query.createdBefore;
  const below = rows.filter((row) => row.createdAt < bound);
  if (below.length < query.limit) return held.fromStart ? below : undefined;
  const page = below.slice(-query.limit);
  return covers(page[0]?.createdAt ?? "") ? page : undefined;
}

/**
 * Reads the server's windows after a first paint from the replica, once the chat has
 * shown it and no replica read is under way: the network must not hold up (or race)
 * the first frame. Runs at most once.
 */
function reconcileWhenShown(state: WindowState) {
  if (!state.shown || state.replicaReads > 0) return;
  const reconcile = state.reconcile;
  state.reconcile = undefined;
  reconcile?.();
}

/** How long a replica's first answer waits for a view to say it is shown. */
const SHOWN_WAIT_MS = 3000;

/**
 * Reads the window a live query asks for. The first reads of a project come from the
 * persisted replica when it holds the project (no network before the first paint), and
 * a background refetch then reads the same windows from the server. Offline, a window
 * the server cannot answer comes from the replica.
 *
 * Rows this read does not return are not removed by it unless an earlier read of the
 * same window returned them (query-db-collection's per-query ownership): rows written
 * directly (the feed, a send not yet on the server) stay.
 */
async function loadWindow(
  projectId: string,
  collection: { get(id: string): Message | undefined; utils: { refetch(): Promise<unknown> } },
  options: LoadSubsetOptions | undefined,
  state: WindowState,
): Promise<Message[]> {
  const scope = messagesScope(projectId);
  const query = windowQuery(options);
  // The chat opened at a message: its first page comes from the window read around it.
  const held = fromHeld(state.held, query);
  if (held) return held.map((row) => newest(collection, row));
  const bounds = windowBounds(query);
  // Unsent messages from earlier visits are known before the first window answers.
  await outboxLoaded();
  const fromReplica = async () => {
    const stored = bounds && (await readStoredWindow(scope, bounds, query.limit));
    const rows = stored?.map(parseMessage);
    if (rows?.every((row) => row !== undefined)) return rows;
    // Unreadable (a shape this build does not know): rebuilt from the server.
    if (rows) replica.drop(scope);
    return undefined;
  };

  let read: Awaited<ReturnType<typeof readWindow<Message>>>;
  let fromServer = false;
  if (!state.fromServer && (await replicaHolds(scope))) {
    state.replicaReads++;
    try {
      read = await readWindow(scope, async () => ({
        rows: (await fromReplica()) ?? [],
        position: undefined,
      }));
    } finally {
      state.replicaReads--;
    }
    // Current to the replica's feed position; the server's windows follow once what the
    // replica answered is on screen (`windowShown`).
    if (!state.fromServer && !state.reconcile) {
      state.reconcile = () => {
        state.fromServer = true;
        void collection.utils.refetch();
      };
      setTimeout(() => {
        state.shown = true;
        reconcileWhenShown(state);
      }, SHOWN_WAIT_MS);
    }
    reconcileWhenShown(state);
  } else {
    try {
      read = await readWindow(scope, () => fetchWindow(projectId, query));
      fromServer = true;
      state.fromServer = true;
    } catch (error) {
      if (!(error instanceof ApiRequestError && error.status === 0)) throw error;
      // Unreachable: the replica's window, or none stored (never opened online, or
      // opened too briefly): an empty window, so what the user writes here offline still
      // shows. Once the server answers again (the feed is back), its windows are read.
      const stored = (await fromReplica()) ?? [];
      read = await readWindow(scope, async () => ({ rows: stored, position: undefined }));
      state.awaitingServer ??= onFeedStatus(() => {
        if (feedStatus() !== "online") return;
        state.awaitingServer?.();
        state.awaitingServer = undefined;
        void collection.utils.refetch();
      });
    }
  }

  // Never answer an older version than the collection holds (a feed change won the race).
  const rows = read.rows.map((row) => newest(collection, row));
  if (fromServer) replica.window(scope, rows, windowRange(query, rows), read.changed);
  // The newest window carries this browser's unsent messages (newer than anything the
  // server has), every time it is read: a refetch of it never drops one.
  return query.newest ? withPendingMessages(projectId, rows) : rows;
}

function newest(collection: { get(id: string): Message | undefined }, row: Message): Message {
  const current = collection.get(row.id);
  return current && current.version > row.version ? current : row;
}

function createMessagesCollection(projectId: string) {
  const state: WindowState = { fromServer: false, shown: false, replicaReads: 0 };
  windowStates.set(projectId, state);
  const collection = createCollection(
    queryCollectionOptions({
      id: `messages:${projectId}`,
      // Not under ["projects"]: a direct write to a query collection patches every cached
      // query its key prefixes, so a project write would land in the messages.
      queryKey: ["messages", projectId],
      // Each live query loads what it shows (a window), never the whole history.
      syncMode: "on-demand",
      queryFn: (context): Promise<Message[]> =>
        loadWindow(projectId, collection, context.meta?.loadSubsetOptions, state),
      queryClient,
      // Offline too: a window the server cannot answer comes from the replica (Query's
      // default would pause the read until the browser is online, leaving the chat loading).
      networkMode: "always",
      getKey: (message: Message) => message.id,
      schema: messageSchema,
      // A sent message goes to the durable outbox (lib/outbox.ts), which sends it through
      // POST /api/chat; the handler waits only for the outbox's disk write.
      onInsert: ({ transaction }) =>
        handToOutbox(transaction.mutations, (mutation) => ({
          kind: "sendMessage",
          message: mutation.modified,
          ...editsOf(mutation.metadata),
        })),
    }),
  );
  collection.createIndex((row) => row.createdAt, {
    indexType: BTreeIndex,
    options: { compareOptions: { ...byCreatedAt, direction: "asc" } },
  });
  return collection;
}

export type MessagesCollection = ReturnType<typeof createMessagesCollection>;

/** What an insert says it edits (`insert(row, { metadata: { edits } })`): an edit's outbox write carries it. */
function editsOf(metadata: unknown): { edits?: string } {
  const edits = (metadata as { edits?: unknown } | undefined)?.edits;
  return typeof edits === "string" ? { edits } : {};
}

/** One collection per project, made when the project is first opened: no project loads another's chat. */
const byProject = new Map<string, MessagesCollection>();
const windowStates = new Map<string, WindowState>();

/**
 * The chat calls this once it shows a project's first window: after the frame that
 * paints it, the server's windows are read (when that window came from the replica).
 */
export function windowShown(projectId: string): void {
  const state = windowStates.get(projectId);
  if (!state || state.shown) return;
  requestAnimationFrame(() =>
    setTimeout(() => {
      state.shown = true;
      reconcileWhenShown(state);
    }, 0),
  );
}

export function messagesCollection(projectId: string): MessagesCollection {
  let collection = byProject.get(projectId);
  if (!collection) {
    collection = createMessagesCollection(projectId);
    byProject.set(projectId, collection);
  }
  return collection;
}

/** The project's collection if this tab has made it. */
export function loadedMessagesCollection(projectId: string): MessagesCollection | undefined {
  return byProject.get(projectId);
}

export function loadedMessagesCollections(): MessagesCollection[] {
  return [...byProject.values()];
}

/**
 * Reads the window of messages around one (a search hit) from the server and puts its
 * rows into the project's collection (never over a newer version). Answers the rows,
 * oldest first: a view shows them by their time range.
 */
export async function loadAround(projectId: string, messageId: string, limit = 100): Promise<Message[]> {
  const rows = await loadDirect(projectId, { around: messageId, limit });
  const state = windowStates.get(projectId);
  // Fewer before it than the API puts there (half of the rest): the history starts there.
  const before = rows.findIndex((row) => row.id === messageId);
  const fromStart = rows.length < limit || (before >= 0 && before < Math.floor((limit - 1) / 2));
  if (state) state.held = { rows, fromStart };
  return rows;
}

/** The chat no longer shows the stretch read around a message: later windows are read afresh. */
export function releaseHeld(projectId: string): void {
  const state = windowStates.get(projectId);
  if (state) state.held = undefined;
}

/** The same for the `limit` messages after one (a chat held at an older message, paging forward). */
export function loadAfter(projectId: string, messageId: string, limit = 100): Promise<Message[]> {
  return loadDirect(projectId, { after: messageId, limit });
}

/**
 * A window read outside any live query's demand: its rows are written into the
 * collection directly (no query owns them, so no window read later removes them) and
 * into the replica when it holds the project (its newest window) already.
 */
async function loadDirect(projectId: string, query: WindowQuery): Promise<Message[]> {
  const collection = messagesCollection(projectId);
  const scope = messagesScope(projectId);
  const { rows, changed } = await readWindow(scope, () => fetchWindow(projectId, query));
  collection.utils.writeBatch(() => {
    for (const row of rows) {
      if (takesOver(collection.get(row.id), row, false)) collection.utils.writeUpsert(row);
    }
  });
  // Stored only beside the newest window: a replica holding a project answers its
  // newest window on the next open, which must not be this stretch's end.
  const [first, last] = [rows[0], rows.at(-1)];
  if (first && last && (await replicaHolds(scope))) {
    const range = { from: first.createdAt, fromOpen: true, to: last.createdAt, toOpen: true };
    replica.window(scope, rows, range, changed);
  }
  return rows;
}

/**
 * Forgets a deleted project's messages. The collection itself is left to garbage-collect
 * once its last live query unsubscribes (cleaning it up under a live query is an error).
 */
export function dropMessagesCollection(projectId: string): void {
  byProject.delete(projectId);
  windowStates.delete(projectId);
}
