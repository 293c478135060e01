import { useLiveQuery } from "@tanstack/react-db";
import { projectsCollection } from "../collections/projects.ts";

export function Home() {
  const { data: projects, isReady } = useLiveQuery({
    query: (q) => q.from({ p: projectsCollection }),
  });

  return (
    <div className="empty-state">
      <h1>Welcome to Tandem</h1>
      <p>Keep each piece of work in a project, with its own chat.</p>
      {isReady && (
        <p className="muted">
          {projects.length === 0
            ? "Start with “New project” in the project list."
            : "Open a project from the list, or start a new one."}
        </p>
      )}
    </div>
  );
}
