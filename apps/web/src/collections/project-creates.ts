/**
 * Project creates still on their way to the server. A message sent into a brand-new
 * project waits for its project to be stored first, so the two requests cannot race.
 */
const pending = new Map<string, Promise<unknown>>();

export function trackProjectCreate(projectId: string, settled: Promise<unknown>): void {
  const done = settled
    .catch(() => {})
    .finally(() => {
      if (pending.get(projectId) === done) pending.delete(projectId);
    });
  pending.set(projectId, done);
}

export async function projectCreateSettled(projectId: string): Promise<void> {
  await pending.get(projectId);
}
