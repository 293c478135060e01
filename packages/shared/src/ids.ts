import { z } from "zod";

/** Ids are client-generated UUIDs, so an optimistic row and its stored row share a key. */
export const idSchema = z.uuid({ error: "must be a UUID" });

/** Row versions start at 1 and grow by one with every update. */
export const versionSchema = z.int().min(1);

export const timestampSchema = z.iso.datetime({ offset: true });
