import { useSyncExternalStore } from "react";
import { type SessionState, sessionState } from "../../sync/session.ts";

/** Who the app runs as (see sync/session.ts); re-renders when it changes. */
export function useSession(): SessionState {
  return useSyncExternalStore(sessionState.subscribe, sessionState.get);
}
