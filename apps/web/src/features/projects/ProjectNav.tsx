import { eq, useLiveQuery } from "@tanstack/react-db";
import { Link, useLocation, useRoute } from "wouter";
import { failedWrites } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { describeError } from "../../lib/api.ts";
import { retryNow } from "../../sync/outbox.ts";
import { ConnectionStatus } from "../connection/ConnectionStatus.tsx";
import { useOutbox } from "../connection/useOutbox.ts";
import { SearchButton } from "../search/SearchButton.tsx";
import { createProject, retryProjectWrite } from "./actions.ts";
import { useEditing } from "./editing.tsx";
import { ImportProject } from "./ImportProject.tsx";
import { ProjectNameForm } from "./ProjectNameForm.tsx";

export function ProjectNav() {
  const [, navigate] = useLocation();
  const [, params] = useRoute("/projects/:id");
  const openId = params?.id;
  const { editor, setEditor } = useEditing();

  const projects = useLiveQuery({
    query: (q) => q.from({ p: projectsCollection }).orderBy(({ p }) => p.createdAt, "asc"),
  });
  const failedCreates = useLiveQuery({
    query: (q) =>
      q
        .from({ f: failedWrites() })
        .where(({ f }) => eq(f.entity, "project"))
        .where(({ f }) => eq(f.op, "insert"))
        .orderBy(({ f }) => f.at, "asc"),
  });

  const loadError = projectsCollection.utils.lastError;
  const outbox = useOutbox();

  return (
    <div className="sidebar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true" />
        Tandem
        <ConnectionStatus />
      </div>

      <SearchButton />

      <div className="project-buttons">
        {editor === "new-project" ? (
          <ProjectNameForm
            submitLabel="Create"
            onSubmit={(name) => {
              const id = createProject(name);
              setEditor(null);
              navigate(`/projects/${id}`);
            }}
            onCancel={() => setEditor(null)}
          />
        ) : (
          <button type="button" className="primary new-project" onClick={() => setEditor("new-project")}>
            New project
          </button>
        )}
        <ImportProject />
      </div>

      <nav aria-label="Projects">
        {projects.isLoading && <p className="muted">Loading projects…</p>}
        {projectsCollection.utils.isError && projects.data.length === 0 && (
          <p className="muted" role="alert">
            Couldn't load projects: {describeError(loadError)}.{" "}
            <button type="button" className="link" onClick={() => void projectsCollection.utils.refetch()}>
              Try again
            </button>
          </p>
        )}
        <ul>
          {projects.data.map((project) => {
            const pending = outbox.pending(project.id);
            const failure = pending && outbox.online ? outbox.failure(project.id) : undefined;
            const status = failure ? "failed" : pending ? "pending" : "saved";
            return (
              <li key={project.id} data-status={status} className={failure ? "failed" : undefined}>
                <Link
                  href={`/projects/${project.id}`}
                  aria-current={project.id === openId ? "page" : undefined}
                  className="project-link"
                >
                  {project.name}
                </Link>
                {failure && (
                  <>
                    <span className="failed-note" title={failure}>
                      Not saved
                    </span>
                    <button type="button" className="small" onClick={retryNow}>
                      Retry
                    </button>
                  </>
                )}
              </li>
            );
          })}
          {failedCreates.data
            .filter((write) => !projectsCollection.has(write.id))
            .map((write) => (
              <li key={write.key} data-status="failed" className="failed">
                <Link
                  href={`/projects/${write.id}`}
                  aria-current={write.id === openId ? "page" : undefined}
                  className="project-link"
                >
                  {String(write.row.name)}
                </Link>
                <span className="failed-note" title={write.error}>
                  Not saved
                </span>
                <button type="button" className="small" onClick={() => retryProjectWrite(write)}>
                  Retry
                </button>
              </li>
            ))}
        </ul>
        {projects.isReady && projects.data.length === 0 && failedCreates.data.length === 0 && (
          <p className="muted">No projects yet.</p>
        )}
      </nav>
      {outbox.count > 0 && (
        <p className="unsent" aria-live="polite">
          {outbox.count === 1 ? "1 unsent change" : `${outbox.count} unsent changes`}
          {outbox.online ? "" : ": they will be sent when you are back online"}
        </p>
      )}
    </div>
  );
}
