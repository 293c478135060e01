import { useEffect, useState } from "react";
import { OnDemand } from "../on-demand/OnDemand.tsx";

/** The "Search" button, and Ctrl+K (Cmd+K on a Mac) from anywhere: both open the search dialog. */
export function SearchButton() {
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);

  return (
    <>
      <button
        type="button"
        className="search-button"
        aria-keyshortcuts="Control+K Meta+K"
        onClick={() => setOpen(true)}
      >
        Search
        <span className="shortcut" aria-hidden="true">
          {/Mac|iPhone|iPad/.test(navigator.platform) ? "⌘K" : "Ctrl K"}
        </span>
      </button>
      {open && (
        <OnDemand name="Search" onClose={close}>
          {(ui) => <ui.SearchDialog onClose={close} />}
        </OnDemand>
      )}
    </>
  );
}
