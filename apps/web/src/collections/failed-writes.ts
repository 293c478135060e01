import { createCollection, localStorageCollectionOptions } from "@tanstack/react-db";
import { describeError } from "../lib/api.ts";
import { storageNames } from "../lib/storage-names.ts";

/**
 * Writes the server refused. A refused write rolls its optimistic change back; this
 * keeps what the user did (the row as they made it) so the UI can show it as failed and
 * offer Retry. It is kept in localStorage: nothing typed is lost to a reload either.
 */
export interface FailedWrite {
  key: string;
  entity: "project" | "message";
  op: "insert" | "update" | "delete";
  id: string;
  projectId: string;
  /** The row as the user made it (for an update: with their changes applied). */
  row: Record<string, unknown>;
  /** A message that was an edit: the user message it is a new version of (sent again as one). */
  edits?: string;
  error: string;
  /** The server refused it (4xx): the same request would be refused again. */
  refused: boolean;
  at: number;
}

function createFailedWrites() {
  return createCollection(
    localStorageCollectionOptions<FailedWrite, string>({
      id: "failed-writes",
      storageKey: storageNames.failedWrites(),
      getKey: (write) => write.key,
    }),
  );
}

let collection: ReturnType<typeof createFailedWrites> | undefined;

/** The signed-in user's failed writes: made on first use, once the user is known (its storage key names them). */
export function failedWrites(): ReturnType<typeof createFailedWrites> {
  collection ??= createFailedWrites();
  return collection;
}

export const failedWriteKey = (entity: FailedWrite["entity"], op: FailedWrite["op"], id: string) =>
  `${entity}:${op}:${id}`;

export function recordFailedWrite(
  write: Omit<FailedWrite, "key" | "error" | "at" | "refused">,
  error: unknown,
): void {
  const key = failedWriteKey(write.entity, write.op, write.id);
  const status = (error as { status?: unknown }).status;
  const failed: FailedWrite = {
    ...write,
    key,
    error: describeError(error),
    refused: typeof status === "number" && status >= 400 && status < 500,
    at: Date.now(),
  };
  if (failedWrites().has(key)) failedWrites().delete(key);
  failedWrites().insert(failed);
}

export function forgetFailedWrite(key: string): void {
  if (failedWrites().has(key)) failedWrites().delete(key);
}

/** Forgets every failed write of a project that is gone. */
export function forgetProjectFailures(projectId: string): void {
  const keys = [...failedWrites().values()].filter((w) => w.projectId === projectId).map((w) => w.key);
  if (keys.length > 0) failedWrites().delete(keys);
}
