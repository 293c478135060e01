import { type Project, projectSchema } from "@tandem/shared";
import { queryCollectionOptions } from "@tanstack/query-db-collection";
import { createCollection } from "@tanstack/react-db";
import { api, sendSnapshot } from "../lib/api.ts";
import { queryClient } from "../lib/query-client.ts";
import { loadScope, parseProject, projectsScope } from "../lib/snapshots.ts";

/**
 * The projects: read from the persisted replica, then the server's snapshot, then kept
 * current by the change feed (live-sync.ts). Writes go through the outbox (outbox.ts),
 * whose transactions show them at once and settle them with the server's rows.
 */
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
  }),
);
