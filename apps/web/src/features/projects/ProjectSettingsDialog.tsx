import { PROJECT_INSTRUCTIONS_MAX, type Project } from "@tandem/shared";
import { useState } from "react";
import { lengthStatus } from "../../lib/length-limit.ts";
import { LengthNote } from "../chat/LengthNote.tsx";
import { setInstructions } from "./actions.ts";
import { useModal } from "./useModal.ts";

/**
 * The project's settings: its instructions, which the model gets as its system message
 * before every reply in the project. Saved like a rename: shown at once, in every tab,
 * and sent through the outbox.
 */
export function ProjectSettingsDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const dialog = useModal();
  const [instructions, setText] = useState(project.instructions);
  const length = lengthStatus(instructions.length, PROJECT_INSTRUCTIONS_MAX);

  return (
    <dialog
      ref={dialog}
      aria-labelledby="project-settings-title"
      onClose={onClose}
      className="dialog settings-dialog"
    >
      <h2 id="project-settings-title">Project settings</h2>
      <form
        className="settings-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (length.kind === "over") return;
          if (instructions !== project.instructions) setInstructions(project, instructions);
          onClose();
        }}
      >
        <label htmlFor="project-instructions">Instructions</label>
        <p id="project-instructions-help" className="muted">
          The assistant reads these before every reply in “{project.name}”: who it is for, what to know, how
          to answer.
        </p>
        <textarea
          id="project-instructions"
          aria-describedby="project-instructions-help project-instructions-length"
          aria-invalid={length.kind === "over" || undefined}
          rows={8}
          placeholder="e.g. Answer in French. Keep answers short."
          value={instructions}
          onChange={(event) => setText(event.target.value)}
        />
        <LengthNote id="project-instructions-length" status={length} />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={length.kind === "over"}>
            Save
          </button>
        </div>
      </form>
    </dialog>
  );
}
