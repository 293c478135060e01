import { z } from "zod/mini";
import { idSchema, noNul, timestampSchema, versionSchema } from "./ids.ts";
import { PROJECT_INSTRUCTIONS_MAX, PROJECT_NAME_MAX } from "./limits.ts";

export const projectStatuses = ["active", "archived"] as const;
export const projectStatusSchema = z.enum(projectStatuses);
export type ProjectStatus = z.infer<typeof projectStatusSchema>;

export const projectNameSchema = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, { error: "must not be empty" }),
    z.maxLength(PROJECT_NAME_MAX, { error: `must be at most ${PROJECT_NAME_MAX} characters` }),
    z.refine(noNul, { error: "must not contain NUL characters" }),
  );

/** What the model is told first in every reply of the project; empty: nothing. */
export const projectInstructionsSchema = z.string().check(
  z.maxLength(PROJECT_INSTRUCTIONS_MAX, {
    error: `must be at most ${PROJECT_INSTRUCTIONS_MAX} characters`,
  }),
  z.refine(noNul, { error: "must not contain NUL characters" }),
);

/** A project as the API answers it. */
export const projectSchema = z.object({
  id: idSchema,
  name: z.string(),
  status: projectStatusSchema,
  /**
   * The model's system message in every reply of this project ("" for none). Rows kept
   * by a browser before projects had instructions read as "".
   */
  instructions: z._default(z.string(), ""),
  /** The account that owns it: it alone deletes it and invites or removes members. */
  ownerId: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  version: versionSchema,
});
export type Project = z.infer<typeof projectSchema>;

/** The projects, as `GET /api/projects` answers them. */
export const projectListSchema = z.array(projectSchema);

export const createProjectBodySchema = z.strictObject({
  id: idSchema,
  name: projectNameSchema,
  status: z.optional(projectStatusSchema),
});
export type CreateProjectBody = z.infer<typeof createProjectBodySchema>;

/** An update names the version it was based on; a stale one is refused with 409. */
export const updateProjectBodySchema = z
  .strictObject({
    name: z.optional(projectNameSchema),
    status: z.optional(projectStatusSchema),
    instructions: z.optional(projectInstructionsSchema),
    version: versionSchema,
  })
  .check(
    z.refine(
      (body) => body.name !== undefined || body.status !== undefined || body.instructions !== undefined,
      { error: "give at least one of name, status, instructions" },
    ),
  );
export type UpdateProjectBody = z.infer<typeof updateProjectBodySchema>;
