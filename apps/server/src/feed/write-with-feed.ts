import type { Db, Tx } from "@tandem/db/client";
import { type Appended, appendLogged, type Change } from "./change-log.ts";
import type { FeedHub } from "./hub.ts";

/** `appendChanges` inside `writeWithFeed`: once per transaction, as its last statement. */
export type AppendToFeed = (
  changes: readonly Change[],
  options?: { replaces?: { position: bigint; messageId: string } | undefined },
) => Promise<bigint | undefined>;

/**
 * Runs `work` as one transaction whose changes go to the change log through `append`,
 * and, once it has committed, straight to this instance's feed (`FeedHub.handOver`), so
 * the feed sends them without reading them back. The log stays the source: other
 * instances read it as before, and this one does whenever a hand-over cannot be placed.
 */
export async function writeWithFeed<T>(
  db: Db,
  feed: FeedHub,
  work: (tx: Tx, append: AppendToFeed) => Promise<T>,
): Promise<T> {
  let appended: Appended | undefined;
  const lastOf = () => appended?.entries.at(-1)?.position;
  try {
    const result = await db.transaction((tx) =>
      work(tx, async (changes, options) => {
        if (appended) throw new Error("A transaction appends to the change log once, as its last statement");
        appended = await appendLogged(tx, changes, options);
        const last = lastOf();
        if (last !== undefined) feed.expect(last);
        return last;
      }),
    );
    if (appended) feed.handOver(appended);
    return result;
  } catch (error) {
    const last = lastOf();
    if (last !== undefined) feed.abandon(last);
    throw error;
  }
}
