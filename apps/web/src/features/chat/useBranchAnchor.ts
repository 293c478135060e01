import { useCallback, useSyncExternalStore } from "react";
import { storageNames } from "../../lib/storage-names.ts";

/** This tab's own choices, for when localStorage cannot keep them. */
const inMemory = new Map<string, string>();
const listeners = new Set<() => void>();

function read(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? inMemory.get(key);
  } catch {
    return inMemory.get(key);
  }
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  // Another tab chose a version, sent or regenerated in this project: the same branch here.
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** Remembers `messageId` as the message the project's branch on screen runs through. */
export function chooseBranch(projectId: string, messageId: string): void {
  const key = storageNames.branch(projectId);
  inMemory.set(key, messageId);
  try {
    localStorage.setItem(key, messageId);
  } catch {
    // Storage full or disabled: this tab remembers it until reload.
  }
  for (const listener of listeners) listener();
}

/**
 * The branch on screen in a project, as the message it runs through (see branchOf), kept
 * per user and project in localStorage: the same after a reload and in every tab.
 */
export function useBranchAnchor(projectId: string): [string | undefined, (messageId: string) => void] {
  const key = storageNames.branch(projectId);
  const anchor = useSyncExternalStore(subscribe, () => read(key));
  const choose = useCallback((messageId: string) => chooseBranch(projectId, messageId), [projectId]);
  return [anchor, choose];
}
