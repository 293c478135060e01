import { useRef, useState } from "react";
import { useLocation } from "wouter";
import { ApiRequestError, describeError } from "../../lib/api.ts";
import { importProjectFile } from "./files.ts";

/**
 * "Import project": picks a project file (from "Export project" → "Download JSON") and
 * makes a new project of it, opened once it is made. A file the server refuses is
 * said so, with why; nothing of it is kept.
 */
export function ImportProject() {
  const [, navigate] = useLocation();
  const picker = useRef<HTMLInputElement>(null);
  const [importing, setImporting] = useState<string>();
  const [error, setError] = useState<string>();

  const importFile = (file: File) => {
    setImporting(file.name);
    setError(undefined);
    importProjectFile(file)
      .then((id) => navigate(`/projects/${id}`))
      .catch((caught: unknown) => setError(`Couldn't import “${file.name}”: ${explain(caught)}.`))
      .finally(() => setImporting(undefined));
  };

  return (
    <>
      <button
        type="button"
        className="import-project"
        disabled={importing !== undefined}
        onClick={() => picker.current?.click()}
      >
        Import project
      </button>
      <input
        ref={picker}
        type="file"
        accept=".json,application/json"
        hidden
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = "";
          if (file) importFile(file);
        }}
      />
      {importing && (
        <p role="status" className="muted import-note">
          Importing “{importing}”…
        </p>
      )}
      {error && (
        <div role="alert" className="import-error">
          <span>{error}</span>
          <button type="button" className="small" onClick={() => setError(undefined)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}

function explain(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.code === "invalid_json") return "it is not a JSON file";
    if (error.code === "invalid_input" || error.code === "payload_too_large") {
      const detail = error.details[0];
      const message = error.message.replace(/\.$/, "");
      return detail ? `${message} (${detail.path} ${detail.message})` : message;
    }
  }
  return describeError(error).replace(/\.$/, "");
}
