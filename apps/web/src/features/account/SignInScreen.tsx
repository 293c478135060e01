import { type FormEvent, useId, useState } from "react";
import { ApiRequestError, describeError, inAbout } from "../../lib/api.ts";
import { signIn, signUp } from "../../sync/session.ts";

interface Props {
  allowSignup: boolean;
  /** The user whose session ended: they are asked to sign in again, and their work waits. */
  returning?: { email: string } | undefined;
}

/** Signed out (AUTH=accounts): the sign-in form, and the sign-up form one button away. */
export function SignInScreen({ allowSignup, returning }: Props) {
  const [form, setForm] = useState<"sign-in" | "sign-up">("sign-in");
  // Kept across the switch: whoever typed their email in one form finds it in the other.
  const [email, setEmail] = useState(returning?.email ?? "");
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tandem
        </div>
        {form === "sign-in" ? (
          <SignInForm
            returning={returning !== undefined}
            email={email}
            setEmail={setEmail}
            onSwitch={() => setForm("sign-up")}
          />
        ) : (
          <SignUpForm
            allowSignup={allowSignup}
            email={email}
            setEmail={setEmail}
            onSwitch={() => setForm("sign-in")}
          />
        )}
      </div>
    </main>
  );
}

interface EmailField {
  email: string;
  setEmail: (email: string) => void;
  onSwitch: () => void;
}

function SignInForm({ returning, email, setEmail, onSwitch }: EmailField & { returning: boolean }) {
  const ids = useId();
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(() => signIn(email.trim(), password), signInError);

  return (
    <form className="auth-form" onSubmit={submit} aria-labelledby={`${ids}-title`}>
      <h1 id={`${ids}-title`}>Sign in</h1>
      {returning && (
        <p className="muted">Your session has ended. Sign in again to go on: your unsent changes are kept.</p>
      )}
      <label htmlFor={`${ids}-email`}>Email</label>
      <input
        id={`${ids}-email`}
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
      />
      <label htmlFor={`${ids}-password`}>Password</label>
      <input
        id={`${ids}-password`}
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      {error && (
        <p role="alert" className="auth-error">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Sign in
      </button>
      <p className="auth-switch muted">
        New here?{" "}
        <button type="button" className="link" onClick={onSwitch}>
          Create account
        </button>
      </p>
    </form>
  );
}

function SignUpForm({ allowSignup, email, setEmail, onSwitch }: EmailField & { allowSignup: boolean }) {
  const ids = useId();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(() => signUp(name.trim(), email.trim(), password), signUpError);

  return (
    <form className="auth-form" onSubmit={submit} aria-labelledby={`${ids}-title`}>
      <h1 id={`${ids}-title`}>Create account</h1>
      {!allowSignup && (
        <p className="auth-note">
          Sign-up is turned off on this server. Ask whoever runs it to make you an account.
        </p>
      )}
      <label htmlFor={`${ids}-name`}>Name</label>
      <input
        id={`${ids}-name`}
        autoComplete="name"
        required
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      <label htmlFor={`${ids}-email`}>Email</label>
      <input
        id={`${ids}-email`}
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={(event) => setEmail(event.target.value)}
      />
      <label htmlFor={`${ids}-password`}>Password</label>
      <input
        id={`${ids}-password`}
        type="password"
        autoComplete="new-password"
        aria-describedby={`${ids}-password-hint`}
        required
        value={password}
        onChange={(event) => setPassword(event.target.value)}
      />
      <p id={`${ids}-password-hint`} className="auth-hint muted">
        At least 8 characters.
      </p>
      {error && (
        <p role="alert" className="auth-error">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Create account
      </button>
      <p className="auth-switch muted">
        Have an account?{" "}
        <button type="button" className="link" onClick={onSwitch}>
          Sign in
        </button>
      </p>
    </form>
  );
}

/** A form's one request: busy while it runs, its error in the user's words after. */
function useSubmit(action: () => Promise<void>, explain: (error: unknown) => string) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    action()
      .catch((caught: unknown) => setError(explain(caught)))
      .finally(() => setBusy(false));
  };
  return { busy, error, submit };
}

function signInError(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.status === 401) return "Wrong email or password.";
    if (error.status === 429) {
      const wait = error.retryAfterSeconds;
      return `Too many failed sign-ins. Try again ${wait === undefined ? "later" : inAbout(wait)}.`;
    }
  }
  return `Couldn't sign in: ${withoutStop(describeError(error))}.`;
}

function signUpError(error: unknown): string {
  if (error instanceof ApiRequestError && error.code === "signup_disabled") {
    return "Sign-up is turned off on this server.";
  }
  return `Couldn't create the account: ${withoutStop(describeError(error))}.`;
}

const withoutStop = (text: string) => text.replace(/\.$/, "");
