import { z } from "zod/mini";
import { idSchema, noNul, timestampSchema } from "./ids.ts";
import { messageContentSchema, messagePartSchema, messageStatusSchema } from "./messages.ts";
import { projectInstructionsSchema, projectNameSchema } from "./projects.ts";

/**
 * A project as a file (`GET /api/projects/:id/export?format=json`, `POST
 * /api/projects/import`): the project's own fields and every message of every branch,
 * oldest first by (createdAt, id). `version` names the shape; a reader refuses one it
 * does not know rather than guess.
 */
export const PROJECT_FILE_FORMAT = "tandem.project";
export const PROJECT_FILE_VERSION = 1;

/** What any file claiming to be a project says about itself, read before the rest. */
export const projectFileHeaderSchema = z.object({
  format: z.literal(PROJECT_FILE_FORMAT, { error: `must be "${PROJECT_FILE_FORMAT}"` }),
  version: z.literal(PROJECT_FILE_VERSION, {
    error: `must be ${PROJECT_FILE_VERSION}`,
  }),
});

const fileMessageFields = {
  id: idSchema,
  /** The message it follows in its branch; null for a first message. */
  parentId: z.nullable(idSchema),
  parts: z.optional(z.array(messagePartSchema)),
  status: messageStatusSchema,
  error: z.optional(
    z.nullable(z.string().check(z.refine(noNul, { error: "must not contain NUL characters" }))),
  ),
  createdAt: timestampSchema,
};

/**
 * A message of the file: the user's turns hold what the API would take from a user,
 * the others any text (an empty one too: a reply stopped before its first word).
 */
export const projectFileMessageSchema = z.discriminatedUnion("role", [
  z.object({ ...fileMessageFields, role: z.literal("user"), content: messageContentSchema }),
  z.object({
    ...fileMessageFields,
    role: z.enum(["assistant", "system"]),
    content: z.string().check(z.refine(noNul, { error: "must not contain NUL characters" })),
  }),
]);
export type ProjectFileMessage = z.infer<typeof projectFileMessageSchema>;

export const projectFileSchema = z.object({
  ...projectFileHeaderSchema.shape,
  exportedAt: timestampSchema,
  project: z.object({
    name: projectNameSchema,
    instructions: z._default(projectInstructionsSchema, ""),
    createdAt: timestampSchema,
  }),
  messages: z.array(projectFileMessageSchema),
});
export type ProjectFile = z.infer<typeof projectFileSchema>;

export const exportFormats = ["markdown", "json"] as const;

/** `GET /api/projects/:id/export`: the file's format, and for a transcript the branch's last message. */
export const exportQuerySchema = z.strictObject({
  format: z.enum(exportFormats, { error: 'must be "markdown" or "json"' }),
  leaf: z.optional(idSchema),
});
export type ExportQuery = z.infer<typeof exportQuerySchema>;
