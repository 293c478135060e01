import { LOCAL_OWNER } from "@tandem/shared";

/**
 * The names of this browser's local stores that hold a user's own work: the replica,
 * the outbox, the failed writes, the drafts, the branch on screen per project, and the channels and locks the tabs share
 * them by. Each user's are apart, so one user never sees (or sends) another's work in a
 * shared browser. The local owner (AUTH=local) keeps the names of the builds before
 * accounts, so an existing install keeps its offline data and unsent writes.
 *
 * The user is set once at start, before any store opens (`setStorageUser`); a different
 * user means a new page load.
 */
export const LOCAL_OWNER_ID = LOCAL_OWNER.id;

let userId: string = LOCAL_OWNER_ID;

export function setStorageUser(id: string): void {
  userId = id;
}

/** `tandem` for the local owner, `tandem-<userId>` for anyone else. */
function prefix(): string {
  return userId === LOCAL_OWNER_ID ? "tandem" : `tandem-${userId}`;
}

export const storageNames = {
  replicaDatabase: () => `${prefix()}-replica`,
  outboxDatabase: () => `${prefix()}-outbox`,
  outboxChannel: () => `${prefix()}-outbox`,
  outboxSenderLock: () => `${prefix()}-outbox-sender`,
  feedChannel: () => `${prefix()}-feed`,
  feedLeaderLock: () => `${prefix()}-feed-leader`,
  failedWrites: () => `${prefix()}:failed-writes`,
  draft: (projectId: string) => `${storageNames.draftPrefix()}${projectId}`,
  draftPrefix: () => `${prefix()}:draft:`,
  /** The branch on screen in a project (the message it runs through). */
  branch: (projectId: string) => `${storageNames.branchPrefix()}${projectId}`,
  branchPrefix: () => `${prefix()}:branch:`,
};
