import type { Message, Project } from "@tandem/shared";
import { recordFailedWrite } from "../collections/failed-writes.ts";
import { messagesCollection } from "../collections/messages.ts";
import { projectsCollection } from "../collections/projects.ts";
import { ApiRequestError, api, send } from "../lib/api.ts";
import { configureOutbox, startOutbox as startQueue } from "../lib/outbox.ts";
import {
  type Delivered,
  type OutboxWrite,
  type OwnVersion,
  projectEdits,
  rebaseVersion,
} from "../lib/outbox-rules.ts";
import { parseProject } from "../lib/snapshots.ts";
import {
  type SyncedCollection,
  syncMessage,
  syncMessageDeleted,
  syncProject,
  syncProjectDeleted,
} from "./live-sync.ts";
import { sendChatMessage } from "./replies.ts";

/**
 * What the outbox's writes do here: how each reaches the server, and what showing,
 * confirming and undoing it does to this tab's collections. The queue itself lives in
 * lib/outbox.ts, below the collections whose handlers call it.
 */

/**
 * A direct write that nothing waits for. A collection not loaded in this tab cannot
 * take one (its loader lays the outbox's writes over what it reads instead).
 */
function writeSoon(write: () => Promise<void>) {
  try {
    write().catch(() => {});
  } catch {
    // Not loaded here.
  }
}

function showRow<T>(collection: SyncedCollection<T>, row: T) {
  writeSoon(() => collection.utils.writeUpsert(row));
}

function hideRow<T>(collection: SyncedCollection<T>, id: string) {
  writeSoon(() => collection.utils.writeDelete(id));
}

/** Shows a write as the user made it: in the tab that made it, and in every other tab. */
function show(write: OutboxWrite) {
  switch (write.kind) {
    case "createProject":
      showRow(projectsCollection, write.project);
      return;
    case "updateProject": {
      // Over the row as this tab has it: its version may be newer than the edit's base.
      const current = projectsCollection.get(write.project.id);
      if (!current) return;
      showRow(projectsCollection, { ...current, ...projectEdits(write.project) });
      return;
    }
    case "deleteProject":
      hideRow(projectsCollection, write.project.id);
      return;
    case "sendMessage":
      showRow(messagesCollection(write.message.projectId), write.message);
      return;
  }
}

function confirm(delivered: Delivered) {
  if (delivered.entity === "message") void syncMessage(delivered.row, true);
  else if ("deleted" in delivered) syncProjectDeleted(delivered.deleted);
  else void syncProject(delivered.row, true);
}

function rollBack(write: OutboxWrite, error: string, status: number, current: unknown) {
  const reason = new ApiRequestError(status, "refused", error);
  switch (write.kind) {
    case "sendMessage": {
      const { message, edits } = write;
      recordFailedWrite(
        {
          entity: "message",
          op: "insert",
          id: message.id,
          projectId: message.projectId,
          row: message,
          ...(edits === undefined ? {} : { edits }),
        },
        reason,
      );
      syncMessageDeleted(message.projectId, message.id);
      return;
    }
    case "createProject":
      recordProjectFailure("insert", write.project, reason);
      hideRow(projectsCollection, write.project.id);
      return;
    case "updateProject": {
      recordProjectFailure("update", write.project, reason);
      // Someone else changed it first: show their version, the one that won.
      const winner = parseProject(current) ?? write.before;
      if (winner) void syncProject(winner, true);
      else void projectsCollection.utils.refetch();
      return;
    }
    case "deleteProject":
      recordProjectFailure("delete", write.project, reason);
      void syncProject(write.project, true);
      return;
  }
}

function recordProjectFailure(op: "insert" | "update" | "delete", project: Project, reason: ApiRequestError) {
  recordFailedWrite({ entity: "project", op, id: project.id, projectId: project.id, row: project }, reason);
}

/** Versions our own accepted updates moved a row to, so a chain of offline edits does not conflict with itself. */
const ownVersions = new Map<string, OwnVersion>();

async function deliver(write: OutboxWrite): Promise<Delivered> {
  switch (write.kind) {
    case "createProject": {
      const { id, name, status } = write.project;
      return { entity: "project", row: await send(() => api.projects.$post({ json: { id, name, status } })) };
    }
    case "updateProject": {
      const { id } = write.project;
      const version = rebaseVersion(ownVersions.get(id), write.baseVersion);
      const row = await send(() =>
        api.projects[":id"].$patch({ param: { id }, json: { ...projectEdits(write.project), version } }),
      );
      ownVersions.set(id, { from: write.baseVersion, to: row.version });
      return { entity: "project", row };
    }
    case "deleteProject":
      try {
        await send(() => api.projects[":id"].$delete({ param: { id: write.project.id } }));
      } catch (error) {
        // Already gone is what we wanted.
        if (!(error instanceof ApiRequestError && error.status === 404)) throw error;
      }
      return { entity: "project", deleted: write.project.id };
    case "sendMessage":
      return {
        entity: "message",
        row: (await sendChatMessage(write.message, write.edits)) satisfies Message,
      };
  }
}

/** Wires the outbox to the collections and the API, then starts it. */
export function startOutbox(): Promise<void> {
  configureOutbox({ show, confirm, rollBack, deliver });
  return startQueue();
}

export { outboxState, pauseSending, resumeSending, retryNow } from "../lib/outbox.ts";
