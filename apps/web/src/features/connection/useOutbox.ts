import { useSyncExternalStore } from "react";
import { outboxState } from "../../sync/outbox.ts";

function subscribe(listener: () => void) {
  const stop = outboxState.subscribe(listener);
  window.addEventListener("online", listener);
  window.addEventListener("offline", listener);
  return () => {
    stop();
    window.removeEventListener("online", listener);
    window.removeEventListener("offline", listener);
  };
}

const snapshot = () => `${outboxState.version()}:${navigator.onLine}`;

/** The unsent writes (which rows wait, which failed), and whether the browser is online; re-renders when either changes. */
export function useOutbox() {
  useSyncExternalStore(subscribe, snapshot);
  return {
    count: outboxState.count(),
    pending: outboxState.pending,
    plainSend: outboxState.plainSend,
    failure: outboxState.failure,
    online: navigator.onLine,
  };
}
