import type { Db, Tx } from "@tandem/db/client";
import { sendLast } from "@tandem/db/send-last";
import { type Appended, type AppendOptions, appendStatement, type Change } from "./change-log.ts";
import type { FeedHub } from "./hub.ts";

/**
 * Appends the transaction's changes to the change log: its last act. `work` returns right
 * after calling it (nothing awaited, nothing issued after), and may call it once.
 */
export type AppendToFeed = (changes: readonly Change[], options?: AppendOptions) => void;

/**
 * Runs `work` as one transaction whose changes go to the change log through `append`:
 * every write that the feed carries goes through here. Once it has committed, the
 * changes go straight to this instance's feed (`FeedHub.handOver`), which sends them
 * without reading them back; with no feed (a tool, a test), its read of the log finds
 * them. The log stays the source: other instances read it as before, and this one does
 * whenever a hand-over cannot be placed. Answers what `work` did and the last position
 * appended (none: nothing was).
 *
 * The append takes the log's order lock, which every writer takes in turn until it
 * commits. On Postgres the append goes out with the COMMIT in one round trip
 * (`sendLast`), so the lock is never held while an answer travels to this process and
 * back; on PGlite it runs inside the transaction as usual.
 */
export async function writeWithFeed<T>(
  db: Db,
  feed: FeedHub | undefined,
  work: (tx: Tx, append: AppendToFeed) => Promise<T>,
): Promise<{ result: T; position: bigint | undefined }> {
  let appending: Promise<Appended> | undefined;
  let appended: Appended | undefined;
  const lastOf = () => appended?.entries.at(-1)?.position;
  try {
    const result = await db.transaction(async (tx) => {
      /** The append, when it runs inside the transaction (PGlite): awaited before the COMMIT. */
      let inside: Promise<Appended> | undefined;
      const done = await work(tx, (changes, options) => {
        if (appending) throw new Error("A transaction appends to the change log once, as its last act");
        const append = appendStatement(changes, options);
        if (!append) return;
        const number = feed?.appendSent();
        const sent = sendLast(tx, append.statement);
        const answered = () => {
          if (number !== undefined) feed?.appendAnswered(number);
        };
        appending = sent.rows.then(
          (rows) => {
            appended = append.read(rows);
            const last = lastOf();
            // Its NOTIFY is for other instances: this one gets the changes by hand-over.
            if (last !== undefined) feed?.expect(last);
            answered();
            return appended;
          },
          (error: unknown) => {
            answered();
            throw error;
          },
        );
        // Awaited below, after the COMMIT on Postgres: not a rejection nobody handles meanwhile.
        appending.catch(() => {});
        if (!sent.withCommit) inside = appending;
      });
      if (inside) await inside;
      return done;
    });
    if (appending) await appending;
    if (appended) feed?.handOver(appended);
    return { result, position: lastOf() };
  } catch (error) {
    const last = lastOf();
    if (last !== undefined) feed?.abandon(last);
    throw error;
  }
}
