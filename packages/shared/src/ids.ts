import { z } from "zod/mini";

/**
 * Ids are client-generated UUIDs, so an optimistic row and its stored row share a key.
 * Postgres answers uuids in lower case; so do we, so a retry in upper case is the same id.
 */
export const idSchema = z.uuid({ error: "must be a UUID" }).check(z.toLowerCase());

/** Row versions start at 1 and grow by one with every update (a Postgres integer). */
export const versionSchema = z.int().check(z.gte(1), z.lte(2_147_483_647));

/** Postgres text cannot hold NUL; refuse it with the field's path rather than at the database. */
export const noNul = (text: string) => !text.includes("\u0000");

export const timestampSchema = z.iso.datetime({ offset: true });
