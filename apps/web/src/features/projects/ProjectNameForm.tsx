import { PROJECT_NAME_MAX } from "@tandem/shared";
import { useState } from "react";

interface Props {
  initialName?: string;
  submitLabel: string;
  onSubmit: (name: string) => void;
  onCancel: () => void;
}

/** The "Project name" textbox: Enter submits, Escape cancels. */
export function ProjectNameForm({ initialName = "", submitLabel, onSubmit, onCancel }: Props) {
  const [name, setName] = useState(initialName);
  const trimmed = name.trim();

  return (
    <form
      className="name-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (trimmed) onSubmit(trimmed);
      }}
    >
      <input
        aria-label="Project name"
        placeholder="Project name"
        value={name}
        maxLength={PROJECT_NAME_MAX}
        // biome-ignore lint/a11y/noAutofocus: the form opens on the user's request to type a name
        autoFocus
        onFocus={(event) => event.currentTarget.select()}
        onChange={(event) => setName(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            onCancel();
          }
        }}
      />
      <div className="name-form-actions">
        <button type="submit" className="primary" disabled={!trimmed}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
