import { closeOutboxStore } from "./outbox-store.ts";
import { closeReplica } from "./replica.ts";
import { storageNames } from "./storage-names.ts";

/**
 * Stops this tab from touching the signed-in user's stores: their databases are about
 * to be deleted (the user signed out here or in another tab).
 */
export async function closeLocalData(): Promise<void> {
  await Promise.all([closeReplica(), closeOutboxStore()]);
}

/**
 * Deletes what this browser keeps of the signed-in user: the replica, the outbox (their
 * unsent writes: the user was asked first), the failed-write notices, the drafts and the branches on screen.
 * Resolves once the deletions are asked for: a database another tab still holds open
 * goes when that tab closes it (it is told to, and reloads).
 */
export async function forgetLocalData(): Promise<void> {
  await closeLocalData();
  const databases = [storageNames.replicaDatabase(), storageNames.outboxDatabase()];
  await Promise.all(databases.map(deleteDatabase));
  forgetLocalStorage();
}

function deleteDatabase(name: string): Promise<void> {
  if (typeof indexedDB === "undefined") return Promise.resolve();
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => resolve();
    // Another tab still has it open: the deletion waits for it, nothing more to do here.
    request.onblocked = () => resolve();
  });
}

function forgetLocalStorage() {
  try {
    const prefixes = [storageNames.draftPrefix(), storageNames.branchPrefix()];
    const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i));
    for (const key of keys) {
      if (key === null) continue;
      if (key === storageNames.failedWrites() || prefixes.some((prefix) => key.startsWith(prefix)))
        localStorage.removeItem(key);
    }
  } catch {
    // Storage disabled: there is nothing kept in it.
  }
}
