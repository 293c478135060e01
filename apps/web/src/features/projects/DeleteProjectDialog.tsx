import { useModal } from "./useModal.ts";

interface Props {
  projectName: string;
  onConfirm: () => void;
  onClose: () => void;
}

/** A modal confirmation: the native dialog traps focus and closes on Escape. */
export function DeleteProjectDialog({ projectName, onConfirm, onClose }: Props) {
  const dialog = useModal();

  return (
    <dialog ref={dialog} aria-labelledby="delete-project-title" onClose={onClose} className="dialog">
      <h2 id="delete-project-title">Delete project?</h2>
      <p>“{projectName}” and all its messages will be deleted for everyone. This can't be undone.</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          Delete
        </button>
      </div>
    </dialog>
  );
}
