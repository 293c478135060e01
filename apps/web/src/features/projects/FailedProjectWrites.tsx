import { eq, useLiveQuery } from "@tanstack/react-db";
import { failedWrites, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { retryProjectWrite } from "./actions.ts";

const verbs = { insert: "create", update: "rename", delete: "delete" } as const;

/** A failed rename or delete of this project: what happened, and a way to try again. */
export function FailedProjectWrites({ projectId }: { projectId: string }) {
  const { data } = useLiveQuery({
    query: (q) =>
      q
        .from({ f: failedWrites })
        .where(({ f }) => eq(f.entity, "project"))
        .where(({ f }) => eq(f.id, projectId)),
  });
  const writes = data.filter((write) => write.op !== "insert");
  if (writes.length === 0) return null;

  return (
    <div className="alerts">
      {writes.map((write) => (
        <div key={write.key} role="alert" className="alert">
          <span>
            Couldn't {verbs[write.op]} the project
            {write.op === "update" ? ` to “${String(write.row.name)}”` : ""}: {write.error}.
          </span>
          <span className="alert-actions">
            <button type="button" className="small" onClick={() => retryProjectWrite(write)}>
              Retry
            </button>
            <button type="button" className="small" onClick={() => forgetFailedWrite(write.key)}>
              Dismiss
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}
