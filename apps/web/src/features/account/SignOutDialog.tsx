import { useEffect, useRef } from "react";

interface Props {
  unsent: number;
  onConfirm: () => void;
  onClose: () => void;
}

/** Asks before a sign-out discards writes that have not reached the server. */
export function SignOutDialog({ unsent, onConfirm, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  const changes = unsent === 1 ? "1 change" : `${unsent} changes`;
  return (
    <dialog
      ref={dialog}
      aria-labelledby="sign-out-title"
      aria-describedby="sign-out-text"
      onClose={onClose}
      className="dialog"
    >
      <h2 id="sign-out-title">Discard unsent changes?</h2>
      <p id="sign-out-text">
        {changes} you made here {unsent === 1 ? "has" : "have"} not reached the server yet. Signing out now
        discards {unsent === 1 ? "it" : "them"}.
      </p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          Discard and sign out
        </button>
      </div>
    </dialog>
  );
}
