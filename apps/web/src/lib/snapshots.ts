import { type FeedEvent, messageSchema, projectSchema } from "@tandem/shared";
import { readScope, replica, replicaFeedPosition } from "./replica.ts";

/**
 * Snapshots (the REST lists) and the feed position each is consistent with. A scope is
 * what one snapshot holds ("projects", "messages:<projectId>"). The projects are read
 * whole, through `loadScope`; messages by window, through `readWindow`. The change
 * application (sync/live-sync.ts) asks `scopeState` whether a change is already in a
 * scope's snapshot, and records (`noteChange`) the changes that arrive while one of
 * its reads is under way.
 */

/**
 * The changes a snapshot can hold; running processes are followed through their
 * messages, and memberships are not rows of any collection.
 */
export type RowChange = Exclude<FeedEvent, { entity: "running_process" } | { entity: "member" }>;

interface Buffered {
  position: bigint;
  event: RowChange;
}

/** A loaded snapshot: its feed position, and the changes that arrive while it loads. */
export interface Scope {
  position: bigint | undefined;
  loading: number;
  buffered: Buffered[];
}

const scopes = new Map<string, Scope>();

export const projectsScope = "projects";
export const messagesScope = (projectId: string) => `messages:${projectId}`;
export const scopeOf = (event: RowChange) =>
  event.entity === "project" ? projectsScope : messagesScope(event.projectId);

export const parseProject = (row: unknown) => projectSchema.safeParse(row).data;
export const parseMessage = (row: unknown) => messageSchema.safeParse(row).data;

interface Versioned {
  id: string;
  version: number;
}

interface Snapshot<T> {
  rows: T[];
  position: string | undefined;
}

/** The first position a projects snapshot was read at: where the feed starts when nothing else says. */
let firstPosition: bigint | undefined;
export const firstSnapshotPosition = () => firstPosition;

/** A scope this tab has loaded (or is loading), if any. */
export function scopeState(key: string): Scope | undefined {
  return scopes.get(key);
}

/**
 * Reads a scope: first from the persisted replica when it holds it (no network; a
 * background refetch then reconciles), else from the server. Changes that arrive
 * while it is read are merged in when they are newer than its position.
 */
export async function loadScope<T extends Versioned>(
  key: string,
  parse: (row: unknown) => T | undefined,
  fetch: () => Promise<Snapshot<T>>,
  refetch: () => void,
): Promise<T[]> {
  const scope = scopes.get(key);
  if (!scope) {
    const stored = await readScope(key);
    const rows = stored?.rows.map(parse);
    if (stored && rows?.every((row) => row !== undefined)) {
      // Current to the stored feed position; the network snapshot follows.
      setTimeout(refetch, 0);
      return readSnapshot(key, async () => ({ rows, position: replicaFeedPosition() }), false);
    }
    if (stored) replica.drop(key);
  }
  return readSnapshot(key, fetch, true);
}

function openScope(key: string): Scope {
  let scope = scopes.get(key);
  if (!scope) {
    scope = { position: undefined, loading: 0, buffered: [] };
    scopes.set(key, scope);
  }
  return scope;
}

async function readSnapshot<T extends Versioned>(
  key: string,
  read: () => Promise<Snapshot<T>>,
  fromServer: boolean,
): Promise<T[]> {
  const scope = openScope(key);
  scope.loading++;
  try {
    const { rows, position } = await read();
    const at = position === undefined ? undefined : BigInt(position);
    let merged = rows;
    for (const change of scope.buffered) {
      if (at === undefined || change.position > at) merged = mergeChange(merged, change.event);
    }
    scope.position = at;
    if (key === projectsScope && firstPosition === undefined) firstPosition = at;
    if (fromServer || merged !== rows) replica.replace(key, merged, position);
    return merged;
  } finally {
    scope.loading--;
    if (scope.loading === 0) scope.buffered = [];
  }
}

/**
 * Reads one window of a scope (a page of messages) and answers its rows as of now: a
 * row the feed deleted after the read's position is left out, one it changed is
 * answered at its newer version. `changed`: the ids the feed touched after the read,
 * which the replica must not remove on the window's word. A read from the replica
 * (`position` undefined) counts every change recorded while it ran.
 *
 * Unlike a scope's snapshot, a window never adds rows: a row created meanwhile reaches
 * the collection through the feed, not through this window.
 */
export async function readWindow<T extends Versioned>(
  key: string,
  read: () => Promise<Snapshot<T>>,
): Promise<{ rows: T[]; position: string | undefined; changed: Set<string> }> {
  const scope = openScope(key);
  scope.loading++;
  try {
    const { rows, position } = await read();
    const at = position === undefined ? -1n : BigInt(position);
    const latest = new Map<string, RowChange>();
    for (const change of scope.buffered) if (change.position > at) latest.set(change.event.id, change.event);
    const current = rows.flatMap((row) => {
      const change = latest.get(row.id);
      if (!change) return [row];
      if (change.op === "delete") return [];
      const newer = change.row as unknown as T;
      return [newer.version > row.version ? newer : row];
    });
    return { rows: current, position, changed: new Set(latest.keys()) };
  } finally {
    scope.loading--;
    if (scope.loading === 0) scope.buffered = [];
  }
}

/** A change the feed applied: kept while a read of its scope is under way (see `readWindow`). */
export function noteChange(position: bigint, event: RowChange): void {
  const scope = scopes.get(scopeOf(event));
  if (scope && scope.loading > 0) scope.buffered.push({ position, event });
}

export function forgetScope(key: string): void {
  scopes.delete(key);
  replica.drop(key);
}

function mergeChange<T extends Versioned>(rows: T[], event: RowChange): T[] {
  const others = rows.filter((row) => row.id !== event.id);
  if (event.op === "delete") return others;
  const current = rows.find((row) => row.id === event.id);
  if (current && current.version >= event.row.version) return rows;
  return [...others, event.row as unknown as T];
}
