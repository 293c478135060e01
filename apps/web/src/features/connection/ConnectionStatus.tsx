import { useSyncExternalStore } from "react";
import { feedStatus, onFeedStatus } from "../../lib/feed.ts";

const labels = { online: "Online", reconnecting: "Reconnecting", offline: "Offline" } as const;

/** Whether this browser is in step with the server right now. */
export function ConnectionStatus() {
  const status = useSyncExternalStore(onFeedStatus, feedStatus);
  return (
    <div role="status" aria-label="Connection" className="connection" data-state={status}>
      <span className="connection-dot" aria-hidden="true" />
      {labels[status]}
    </div>
  );
}
