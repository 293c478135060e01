import { eq, useLiveQuery } from "@tanstack/react-db";
import { failedWrites, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { retryProjectWrite } from "./actions.ts";

/**
 * Renames and deletes the server refused, whichever project they were for (it may not
 * be the open one: an offline change is refused when the connection returns): what
 * happened, and Retry while the project is still there.
 */
export function ProjectWriteNotices() {
  const { data } = useLiveQuery({
    query: (q) => q.from({ f: failedWrites() }).where(({ f }) => eq(f.entity, "project")),
  });
  const writes = data.filter((write) => write.op !== "insert").sort((a, b) => a.at - b.at);
  if (writes.length === 0) return null;

  return (
    <div className="alerts">
      {writes.map((write) => (
        <div key={write.key} role="alert" className="alert">
          <span>
            {write.op === "update"
              ? `Couldn't rename the project to “${String(write.row.name)}”`
              : `Couldn't delete “${String(write.row.name)}”`}
            : {write.error}.
          </span>
          <span className="alert-actions">
            {projectsCollection.has(write.id) && (
              <button type="button" className="small" onClick={() => retryProjectWrite(write)}>
                Retry
              </button>
            )}
            <button type="button" className="small" onClick={() => forgetFailedWrite(write.key)}>
              Dismiss
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}
