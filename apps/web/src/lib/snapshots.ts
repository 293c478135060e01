import { type ChangeEvent, messageSchema, projectSchema } from "@tandem/shared";
import { readScope, replica, replicaFeedPosition } from "./replica.ts";

/**
 * Snapshots (the REST lists) and the feed position each is consistent with. A scope is
 * what one snapshot holds ("projects", "messages:<projectId>"). The collections read
 * through `loadScope`; the change application (sync/live-sync.ts) asks `scopeState`
 * whether a change is already in a scope's snapshot, or buffers it while one loads.
 */

/** The changes a snapshot can hold; running processes are followed through their messages. */
export type RowChange = Exclude<ChangeEvent, { entity: "running_process" }>;

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

async function readSnapshot<T extends Versioned>(
  key: string,
  read: () => Promise<Snapshot<T>>,
  fromServer: boolean,
): Promise<T[]> {
  let scope = scopes.get(key);
  if (!scope) {
    scope = { position: undefined, loading: 0, buffered: [] };
    scopes.set(key, scope);
  }
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
