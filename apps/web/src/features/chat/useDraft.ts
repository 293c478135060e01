import { useEffect, useState } from "react";
import { storageNames } from "../../lib/storage-names.ts";

const keyOf = storageNames.draft;

function read(key: string): string {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

function write(key: string, text: string) {
  try {
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
  } catch {
    // Storage full or disabled: the draft lives on in memory.
  }
}

/**
 * The composer's text for a project, kept in localStorage as it is typed: it comes back
 * on return, after a reload and in another tab, and goes when the message is sent.
 */
export function useDraft(projectId: string): [string, (text: string) => void] {
  const key = keyOf(projectId);
  const [draft, setDraft] = useState(() => read(key));

  // Another project opened in the same composer: its own draft.
  useEffect(() => setDraft(read(key)), [key]);

  // Another tab typed in this project's draft.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === key) setDraft(event.newValue ?? "");
    };
    window.addEventListener("storage", onStorage);
    return () => window.removeEventListener("storage", onStorage);
  }, [key]);

  return [
    draft,
    (text: string) => {
      setDraft(text);
      write(key, text);
    },
  ];
}
