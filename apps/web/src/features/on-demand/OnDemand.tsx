import { type ReactNode, useEffect, useRef, useState } from "react";

type OnDemandUi = typeof import("./on-demand-ui.ts");

let loading: Promise<OnDemandUi> | undefined;
/** Once here, a dialog opens in the same frame as the click that asks for it. */
let loaded: OnDemandUi | undefined;

/** Fetches the on-demand UI once; a fetch that failed (offline, or a server that lost it) is tried again when next wanted. */
function load(): Promise<OnDemandUi> {
  loading ??= import("./on-demand-ui.ts").then(
    (ui) => (loaded = ui),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

/**
 * Fetches the on-demand UI once the app is on screen and the browser is idle, so the
 * first click finds it here: nothing waits on the network then, online or off (the
 * service worker has precached it too).
 */
export function preloadOnDemandUi(): void {
  // A failure here is met again, and said, when the UI is wanted.
  const preload = () => void load().catch(() => undefined);
  if (typeof requestIdleCallback === "function") requestIdleCallback(preload, { timeout: 2000 });
  else setTimeout(preload, 500);
}

/**
 * A piece of the on-demand UI: drawn at once when it is here (it is preloaded), nothing
 * until it is (no placeholder to flash for a moment), and if it cannot be fetched, says
 * so with Try again: as a dialog with Close when there is somewhere to go back to
 * (`onClose`), else (the sign-in form) in place of the screen. `name`: what the user
 * asked for, as the button or screen calls it.
 */
export function OnDemand({
  name,
  children,
  onClose,
}: {
  name: string;
  children: (ui: OnDemandUi) => ReactNode;
  onClose?: () => void;
}) {
  const [ui, setUi] = useState(loaded);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    if (ui || failed) return;
    let live = true;
    load().then(
      (here) => live && setUi(here),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [ui, failed]);

  if (ui) return children(ui);
  if (!failed) return null;
  const retry = () => setFailed(false);
  const title = `Couldn't open “${name}”`;
  return onClose ? (
    <LoadFailedDialog title={title} onRetry={retry} onClose={onClose} />
  ) : (
    <main className="auth">
      <div className="empty-state" role="alert">
        <h1>{title}</h1>
        <p className="muted">{failedText()}</p>
        <button type="button" className="primary" onClick={retry}>
          Try again
        </button>
      </div>
    </main>
  );
}

const failedText = () =>
  navigator.onLine
    ? "This part of Tandem didn't arrive from the server."
    : "You're offline, and this part of Tandem isn't saved in this browser yet.";

function LoadFailedDialog({
  title,
  onRetry,
  onClose,
}: {
  title: string;
  onRetry: () => void;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  // Modal while shown. Not closed on the way out (a removed dialog leaves the top layer
  // anyway): that close event would close what Try again is fetching.
  useEffect(() => {
    if (dialog.current?.open === false) dialog.current.showModal();
  }, []);
  return (
    <dialog
      ref={dialog}
      role="alertdialog"
      aria-labelledby="on-demand-failed-title"
      aria-describedby="on-demand-failed-text"
      onClose={onClose}
      className="dialog"
    >
      <h2 id="on-demand-failed-title">{title}</h2>
      <p id="on-demand-failed-text">{failedText()}</p>
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
        <button type="button" className="primary" onClick={onRetry}>
          Try again
        </button>
      </div>
    </dialog>
  );
}
