import { type Project, projectSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import { createCollection } from "@tanstack/react-db";
import { ApiRequestError, api, send, sendSnapshot } from "../lib/api.ts";
import { queryClient } from "../lib/query-client.ts";
import { recordFailedWrite } from "./failed-writes.ts";
import { loadScope, parseProject, projectsScope, syncProject, syncProjectDeleted } from "./live-sync.ts";

export const projectsCollection = createCollection(
  queryCollectionOptions({
    id: "projects",
    queryKey: ["projects"],
    queryFn: () =>
      loadScope(
        projectsScope,
        parseProject,
        () => sendSnapshot(() => api.projects.$get()),
        () => void projectsCollection.utils.refetch(),
      ),
    queryClient,
    getKey: (project: Project) => project.id,
    schema: projectSchema,

    onInsert: async ({ transaction }) => {
      for (const { modified: project } of transaction.mutations) {
        try {
          const stored = await send(() =>
            api.projects.$post({ json: { id: project.id, name: project.name, status: project.status } }),
          );
          void syncProject(stored, true);
        } catch (error) {
          recordFailedWrite(
            { entity: "project", op: "insert", id: project.id, projectId: project.id, row: project },
            error,
          );
          throw error;
        }
      }
      return { refetch: false };
    },

    onUpdate: async ({ transaction }) => {
      for (const { original, modified, changes } of transaction.mutations) {
        try {
          const stored = await send(() =>
            api.projects[":id"].$patch({
              param: { id: original.id },
              json: { name: changes.name, status: changes.status, version: original.version },
            }),
          );
          void syncProject(stored, true);
        } catch (error) {
          // Someone else changed it first: show their version, and let the user decide.
          if (error instanceof ApiRequestError && error.code === "version_conflict") {
            const current = projectSchema.safeParse(error.current);
            if (current.success) void syncProject(current.data, true);
          }
          recordFailedWrite(
            { entity: "project", op: "update", id: original.id, projectId: original.id, row: modified },
            error,
          );
          throw error;
        }
      }
      return { refetch: false };
    },

    onDelete: async ({ transaction }) => {
      for (const { original } of transaction.mutations) {
        try {
          await send(() => api.projects[":id"].$delete({ param: { id: original.id } }));
        } catch (error) {
          // Already gone is what we wanted.
          if (!(error instanceof ApiRequestError && error.status === 404)) {
            recordFailedWrite(
              { entity: "project", op: "delete", id: original.id, projectId: original.id, row: original },
              error,
            );
            throw error;
          }
        }
        syncProjectDeleted(original.id);
      }
      return { refetch: false };
    },
  }),
);
