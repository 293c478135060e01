import { eq, useLiveQuery } from "@tanstack/react-db";
import { type FailedWrite, failedWrites, forgetFailedWrite } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { retryProjectWrite } from "./actions.ts";

/** What a refused update tried: a rename, new instructions, or both (told apart from the project as it is now). */
function updateFailure(write: FailedWrite): string {
  const current = projectsCollection.get(write.id);
  const renamed = current?.name !== write.row.name;
  const instructed =
    current !== undefined &&
    write.row.instructions !== undefined &&
    current.instructions !== write.row.instructions;
  if (instructed && !renamed) return "Couldn't save the project's instructions";
  if (instructed)
    return `Couldn't rename the project to “${String(write.row.name)}” and save its instructions`;
  return `Couldn't rename the project to “${String(write.row.name)}”`;
}

/**
 * Renames, instructions and deletes the server refused, whichever project they were for (it may not
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
            {write.op === "update" ? updateFailure(write) : `Couldn't delete “${String(write.row.name)}”`}:{" "}
            {write.error}.
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
