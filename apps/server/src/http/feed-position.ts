import { FEED_POSITION_HEADER } from "@tandem/shared";
import type { PgTransactionConfig } from "drizzle-orm/pg-core";
import type { Context } from "hono";

/**
 * How a snapshot (a list) is read: one snapshot for its rows and its feed position, so
 * the rows hold exactly the changes up to that position (feed order is commit order).
 */
export const SNAPSHOT: PgTransactionConfig = { isolationLevel: "repeatable read", accessMode: "read only" };

/** Tells the client the feed position of the change its write made (none for a retry that wrote nothing). */
export function withPosition(c: Context, position: bigint | undefined) {
  if (position !== undefined) c.header(FEED_POSITION_HEADER, String(position));
}
