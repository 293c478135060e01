/**
 * The names of this browser's local stores that hold a user's own work: the outbox,
 * the failed writes, the drafts. One place, so keying them by user (accounts) changes
 * one function. The replica (replica.ts) names its own database.
 */
const prefix = "tandem";

export const storageNames = {
  outboxDatabase: () => `${prefix}-outbox`,
  outboxChannel: () => `${prefix}-outbox`,
  outboxSenderLock: () => `${prefix}-outbox-sender`,
  failedWrites: () => `${prefix}:failed-writes`,
  draft: (projectId: string) => `${prefix}:draft:${projectId}`,
};
