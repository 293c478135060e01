import { z } from "zod/mini";
import { memberSchema } from "./accounts.ts";
import { idSchema } from "./ids.ts";
import { messageSchema } from "./messages.ts";
import { projectSchema } from "./projects.ts";

/** Entities the change feed carries. */
export const changeEntities = ["project", "message", "running_process"] as const;
export type ChangeEntity = (typeof changeEntities)[number];

export const changeOps = ["upsert", "delete"] as const;
export type ChangeOp = (typeof changeOps)[number];

/**
 * One committed change, as `GET /api/changes` sends it: the SSE `id` is its feed
 * position, the `data` this object. `row` is the row after the change (for a delete,
 * the row as it was), in the same wire shape the REST endpoints answer.
 */
export const changeEventSchema = z.discriminatedUnion("entity", [
  z.object({
    entity: z.literal("project"),
    op: z.enum(changeOps),
    id: idSchema,
    projectId: idSchema,
    row: projectSchema,
  }),
  z.object({
    entity: z.literal("message"),
    op: z.enum(changeOps),
    id: idSchema,
    projectId: idSchema,
    row: messageSchema,
  }),
  z.object({
    entity: z.literal("running_process"),
    op: z.enum(changeOps),
    id: idSchema,
    projectId: idSchema,
    row: z.record(z.string(), z.unknown()),
  }),
]);
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/** SSE event names besides the default (`message`, one change each). */
export const FEED_READY_EVENT = "ready";
export const FEED_RESET_EVENT = "reset";

/**
 * `ready`: sent first on every feed connection, with the position the stream starts
 * after. `reset`: the asked-for position is older than the retained log; the client
 * must refetch its snapshots (the stream then goes on from `position`).
 */
export const feedPositionSchema = z.object({ position: z.string().check(z.regex(/^\d+$/)) });
export type FeedPosition = z.infer<typeof feedPositionSchema>;

/** Header on snapshot answers (lists): the feed position the snapshot is consistent with. */
export const FEED_POSITION_HEADER = "x-feed-position";

/**
 * A membership changed (`id` is `<projectId>:<userId>`): sent to the project's members,
 * the one added or removed included. `row` is the member (as it was, for a delete).
 */
export const memberChangeSchema = z.object({
  entity: z.literal("member"),
  op: z.enum(changeOps),
  id: z.string(),
  projectId: idSchema,
  row: z.optional(memberSchema),
});
export type MemberChange = z.infer<typeof memberChangeSchema>;

/** A project the reader lost (removed from it, or it was deleted): no row, only its id. */
export const projectRemovedSchema = z.object({
  entity: z.literal("project"),
  op: z.literal("delete"),
  id: idSchema,
  projectId: idSchema,
});
export type ProjectRemoved = z.infer<typeof projectRemovedSchema>;

/**
 * Everything a reader of the feed may be sent: the row changes, membership changes, and
 * the removal of a project it may no longer see.
 */
export const feedEventSchema = z.union([changeEventSchema, memberChangeSchema, projectRemovedSchema]);
export type FeedEvent = z.infer<typeof feedEventSchema>;
