import type { Project } from "@tandem/shared";
import { useState } from "react";
import { describeError } from "../../lib/api.ts";
import type { ExportFormat } from "../../lib/project-files.ts";
import { useBranchAnchor } from "../chat/useBranchAnchor.ts";
import { downloadProject, leafOnScreen } from "./files.ts";
import { useModal } from "./useModal.ts";

/**
 * Takes the project out as a file: a Markdown transcript of the conversation on screen,
 * or the JSON file of every message and version (which "Import project" reads back).
 */
export function ExportDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const dialog = useModal();
  const [anchor] = useBranchAnchor(project.id);
  const [busy, setBusy] = useState<ExportFormat>();
  const [error, setError] = useState<string>();

  const download = (format: ExportFormat) => {
    setBusy(format);
    setError(undefined);
    downloadProject(project, format, format === "markdown" ? leafOnScreen(project.id, anchor) : undefined)
      .catch((caught: unknown) => setError(describeError(caught).replace(/\.$/, "")))
      .finally(() => setBusy(undefined));
  };

  return (
    <dialog ref={dialog} aria-labelledby="export-title" onClose={onClose} className="dialog export-dialog">
      <h2 id="export-title">Export project</h2>
      <p className="muted">Download “{project.name}” as a file.</p>
      <ul className="export-options">
        <li>
          <button type="button" disabled={busy !== undefined} onClick={() => download("markdown")}>
            Download Markdown
          </button>
          <span className="muted">A transcript to read or share: the conversation on screen.</span>
        </li>
        <li>
          <button type="button" disabled={busy !== undefined} onClick={() => download("json")}>
            Download JSON
          </button>
          <span className="muted">Every message and version, to import into Tandem again.</span>
        </li>
      </ul>
      {busy && (
        <p role="status" className="muted">
          Preparing the file…
        </p>
      )}
      {error && (
        <p role="alert" className="dialog-error">
          Couldn't export: {error}.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
