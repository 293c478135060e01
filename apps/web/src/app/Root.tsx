import { useEffect } from "react";
import { useSession } from "../features/account/useSession.ts";
import { OnDemand, preloadOnDemandUi } from "../features/on-demand/OnDemand.tsx";
import { refresh } from "../sync/session.ts";
import { App } from "./App.tsx";

/** The app as the session allows: the sign-in form (AUTH=accounts, nobody signed in) or the workspace. */
export function Root() {
  const state = useSession();
  useEffect(preloadOnDemandUi, []);
  if (state.status === "unreachable") {
    return (
      <main className="auth">
        <div className="empty-state">
          <h1>Can't reach the server</h1>
          <p className="muted">Tandem needs it once, the first time it opens in this browser.</p>
          <button type="button" className="primary" onClick={() => void refresh()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  const { session, status } = state;
  if (!session.user || status === "expired") {
    return (
      <OnDemand name="Sign in">
        {(ui) => (
          <ui.SignInScreen
            allowSignup={session.allowSignup}
            returning={status === "expired" && session.user ? { email: session.user.email } : undefined}
          />
        )}
      </OnDemand>
    );
  }
  return <App user={session.mode === "accounts" ? session.user : undefined} />;
}
