import type { SessionUser } from "@tandem/shared";
import { useState } from "react";
import { describeError } from "../../lib/api.ts";
import { signOut } from "../../sync/session.ts";
import { useOutbox } from "../connection/useOutbox.ts";
import { OnDemand } from "../on-demand/OnDemand.tsx";

/** Who is signed in, and Sign out (always in view at the foot of the sidebar). */
export function AccountFooter({ user }: { user: SessionUser }) {
  const outbox = useOutbox();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const leave = () => {
    setConfirming(false);
    setBusy(true);
    setError(undefined);
    // On success the page goes to the sign-in form.
    signOut().catch((caught: unknown) => {
      setError(describeError(caught));
      setBusy(false);
    });
  };

  return (
    <div className="account">
      {error && (
        <p role="alert" className="account-error">
          Couldn't sign out: {error}.
        </p>
      )}
      <div className="account-row">
        <span className="account-who" title={user.email}>
          <span className="account-name">{user.name || user.email}</span>
          <span className="account-email muted">{user.email}</span>
        </span>
        <button
          type="button"
          className="small"
          disabled={busy}
          onClick={() => (outbox.count > 0 ? setConfirming(true) : leave())}
        >
          Sign out
        </button>
      </div>
      {confirming && (
        <OnDemand name="Sign out" onClose={() => setConfirming(false)}>
          {(ui) => (
            <ui.SignOutDialog unsent={outbox.count} onConfirm={leave} onClose={() => setConfirming(false)} />
          )}
        </OnDemand>
      )}
    </div>
  );
}
