import { useSyncExternalStore } from "react";
import { feedRefusal, feedStatus, onFeedStatus } from "../../lib/feed.ts";

const labels = {
  online: "Online",
  reconnecting: "Reconnecting",
  offline: "Offline",
  refused: "Not live: too many open windows",
} as const;

/** Whether this browser is in step with the server right now, and why not when the user can help it. */
export function ConnectionStatus() {
  const status = useSyncExternalStore(onFeedStatus, feedStatus);
  const refusal = status === "refused" ? feedRefusal() : undefined;
  return (
    <div role="status" aria-label="Connection" className="connection" data-state={status} title={refusal}>
      <span className="connection-dot" aria-hidden="true" />
      {labels[status]}
    </div>
  );
}
