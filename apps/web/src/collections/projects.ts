import { type Project, projectSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import { createCollection } from "@tanstack/react-db";
import { api, sendSnapshot } from "../lib/api.ts";
import { handToOutbox, outboxLoaded, withPendingProjects } from "../lib/outbox.ts";
import { queryClient } from "../lib/query-client.ts";
import { loadScope, parseProject, projectsScope } from "../lib/snapshots.ts";

/**
 * The projects: read from the persisted replica, then the server's snapshot, then kept
 * current by the change feed (sync/live-sync.ts). A write (`insert`, `update`, `delete`)
 * is handed to the durable outbox: the handler waits only until the write is stored in
 * this browser, never for the server, so a write on its way holds nothing back. The
 * outbox shows the write in the synced store as the user made it (in every tab), and
 * puts the server's row in when it answers. Unsent writes lie over every snapshot read.
 */
export const projectsCollection = createCollection(
  queryCollectionOptions({
    id: "projects",
    queryKey: ["projects"],
    queryFn: async () => {
      await outboxLoaded();
      const rows = await loadScope(
        projectsScope,
        parseProject,
        () => sendSnapshot(() => api.projects.$get()),
        () => void projectsCollection.utils.refetch(),
      );
      return withPendingProjects(rows);
    },
    queryClient,
    getKey: (project: Project) => project.id,
    schema: projectSchema,
    onInsert: ({ transaction }) =>
      handToOutbox(transaction.mutations, (mutation) => ({
        kind: "createProject",
        project: mutation.modified,
      })),
    onUpdate: ({ transaction }) =>
      handToOutbox(transaction.mutations, (mutation) => ({
        kind: "updateProject",
        project: mutation.modified,
        before: mutation.original,
        baseVersion: mutation.original.version,
      })),
    onDelete: ({ transaction }) =>
      handToOutbox(transaction.mutations, (mutation) => ({
        kind: "deleteProject",
        project: mutation.original,
      })),
  }),
);
