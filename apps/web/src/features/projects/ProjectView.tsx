import type { Project } from "@tandem/shared";
import { eq, useLiveQuery } from "@tanstack/react-db";
import { useEffect, useState } from "react";
import { Link, useLocation } from "wouter";
import { failedWriteKey, failedWrites } from "../../collections/failed-writes.ts";
import { projectsCollection } from "../../collections/projects.ts";
import { useSession } from "../account/useSession.ts";
import { Chat } from "../chat/Chat.tsx";
import { useOutbox } from "../connection/useOutbox.ts";
import { OnDemand } from "../on-demand/OnDemand.tsx";
import { deleteProject, renameProject, retryProjectWrite } from "./actions.ts";
import { useEditing } from "./editing.tsx";
import { ProjectNameForm } from "./ProjectNameForm.tsx";

/** `sharing`: accounts mode, where a project has members and can be shared. */
export function ProjectView({ projectId, sharing }: { projectId: string; sharing: boolean }) {
  const projects = useLiveQuery({
    query: (q) => q.from({ p: projectsCollection }).where(({ p }) => eq(p.id, projectId)),
  });
  const failedCreate = useLiveQuery({
    query: (q) =>
      q
        .from({ f: failedWrites() })
        .where(({ f }) => eq(f.key, failedWriteKey("project", "insert", projectId))),
  });

  const outbox = useOutbox();

  const project = projects.data[0];
  if (project) {
    return (
      <section className="project" aria-labelledby="project-title" key={project.id}>
        <ProjectHeader project={project} pending={outbox.pending(project.id)} sharing={sharing} />
        <Chat projectId={project.id} />
      </section>
    );
  }

  const failed = failedCreate.data[0];
  if (failed) {
    return (
      <section className="project" aria-labelledby="project-title">
        <header className="project-header">
          <h1 id="project-title">{String(failed.row.name)}</h1>
        </header>
        <div role="alert" className="alert">
          <span>This project wasn't saved: {failed.error}.</span>
          <button type="button" className="small" onClick={() => retryProjectWrite(failed)}>
            Retry
          </button>
        </div>
      </section>
    );
  }

  if (projects.isLoading || !projectsCollection.isReady()) {
    return <p className="muted center">Loading…</p>;
  }
  return (
    <div className="empty-state">
      <h1>Project not found</h1>
      <p>It may have been deleted, or it is no longer shared with you.</p>
      <Link href="/">Back to your projects</Link>
    </div>
  );
}

function ProjectHeader({
  project,
  pending,
  sharing,
}: {
  project: Project;
  pending: boolean;
  sharing: boolean;
}) {
  const [, navigate] = useLocation();
  const { editor, setEditor } = useEditing();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [sharingOpen, setSharingOpen] = useState(false);
  const [dialog, setDialog] = useState<"settings" | "export">();
  const session = useSession();
  const me = sharing ? session.session?.user : undefined;
  const renaming = editor === "rename-project";
  const closeSharing = () => setSharingOpen(false);
  const closeDialog = () => setDialog(undefined);
  const closeDelete = () => setConfirmingDelete(false);

  // A rename belongs to this project: leaving it closes the form.
  useEffect(() => () => setEditor((open) => (open === "rename-project" ? null : open)), [setEditor]);

  return (
    <header className="project-header" data-status={pending ? "pending" : "saved"}>
      {renaming ? (
        <>
          <h1 id="project-title" className="visually-hidden">
            {project.name}
          </h1>
          <ProjectNameForm
            initialName={project.name}
            submitLabel="Save"
            onSubmit={(name) => {
              if (name !== project.name) renameProject(project, name);
              setEditor(null);
            }}
            onCancel={() => setEditor(null)}
          />
        </>
      ) : (
        <>
          <h1 id="project-title">{project.name}</h1>
          <div className="project-actions">
            {me && <Action icon="share" label="Share project" onClick={() => setSharingOpen(true)} />}
            <Action icon="settings" label="Project settings" onClick={() => setDialog("settings")} />
            <Action icon="export" label="Export project" onClick={() => setDialog("export")} />
            <Action icon="rename" label="Rename project" onClick={() => setEditor("rename-project")} />
            <Action
              icon="delete"
              label="Delete project"
              className="danger-outline"
              onClick={() => setConfirmingDelete(true)}
            />
          </div>
        </>
      )}
      {sharingOpen && me && (
        <OnDemand name="Share project" onClose={closeSharing}>
          {(ui) => (
            <ui.ShareDialog
              projectId={project.id}
              projectName={project.name}
              me={me}
              onClose={closeSharing}
              onLeft={() => {
                closeSharing();
                navigate("/");
              }}
            />
          )}
        </OnDemand>
      )}
      {dialog && (
        <OnDemand name={dialog === "settings" ? "Project settings" : "Export project"} onClose={closeDialog}>
          {(ui) =>
            dialog === "settings" ? (
              <ui.ProjectSettingsDialog project={project} onClose={closeDialog} />
            ) : (
              <ui.ExportDialog project={project} onClose={closeDialog} />
            )
          }
        </OnDemand>
      )}
      {confirmingDelete && (
        <OnDemand name="Delete project" onClose={closeDelete}>
          {(ui) => (
            <ui.DeleteProjectDialog
              projectName={project.name}
              onClose={closeDelete}
              onConfirm={() => {
                closeDelete();
                deleteProject(project);
                navigate("/");
              }}
            />
          )}
        </OnDemand>
      )}
    </header>
  );
}

/**
 * One of the project's actions. Where its label would crowd out the project's name (a
 * phone, a narrow window) it shows as an icon (styles.css); its name stays the label.
 */
function Action({
  icon,
  label,
  className,
  onClick,
}: {
  icon: string;
  label: string;
  className?: string;
  onClick: () => void;
}) {
  return (
    <button type="button" className={className} data-icon={icon} title={label} onClick={onClick}>
      <span className="action-label">{label}</span>
    </button>
  );
}
