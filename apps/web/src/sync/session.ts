import { type SessionInfo, type SessionUser, sessionInfoSchema } from "@tandem/shared";
import { ApiRequestError, onUnauthorized } from "../lib/api.ts";
import * as auth from "../lib/auth.ts";
import { pauseFeed, resumeFeed } from "../lib/feed.ts";
import { closeLocalData, forgetLocalData } from "../lib/local-data.ts";
import { openReplica } from "../lib/replica.ts";
import { setStorageUser } from "../lib/storage-names.ts";
import { refreshSnapshots, startLiveSync } from "./live-sync.ts";
import { pauseSending, resumeSending, startOutbox } from "./outbox.ts";

/**
 * Who this browser works as, and the life of their local data. The mode and the user
 * come from `GET /api/session`; the last answer is kept (localStorage), so a signed-in
 * user's app opens offline from their replica and takes work: that session is trusted
 * until the server says otherwise.
 *
 * - `active`: the app runs as `session.user` (in AUTH=local, always the owner).
 * - `expired`: the server no longer knows the session (a 401, or `/api/session` says
 *   nobody): the feed and the outbox pause, nothing is dropped, and the user is asked to
 *   sign in again. The same user resumes where they were; another user gets a fresh page.
 * - `unreachable`: a first visit with no server to ask.
 *
 * Tabs tell each other (BroadcastChannel) when someone signs in or out: a sign-out clears
 * the user's data and every tab goes back to the sign-in form.
 */
export type SessionState =
  | { status: "active" | "expired"; session: SessionInfo }
  | { status: "unreachable"; session?: undefined };

const STORED_KEY = "tandem:session";
const CHANNEL = "tandem-session";

type SessionNotice = { type: "signed-in"; userId: string } | { type: "signed-out"; userId: string };

let state: SessionState = { status: "unreachable" };
const listeners = new Set<() => void>();
let channel: BroadcastChannel | undefined;
/** The user whose data this page has started (their replica, feed and outbox), if any. */
let startedFor: string | undefined;
/**
 * A sign-out is under way: the server ends this session's feed as it signs out, and
 * nothing that follows from that (a 401, a refresh finding nobody) may store the user
 * back as the last known session.
 */
let signingOut = false;

function setState(next: SessionState) {
  state = next;
  for (const listener of listeners) listener();
}

/** For useSyncExternalStore. */
export const sessionState = {
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  get: () => state,
};

function storedSession(): SessionInfo | undefined {
  try {
    const raw = localStorage.getItem(STORED_KEY);
    return raw ? sessionInfoSchema.safeParse(JSON.parse(raw)).data : undefined;
  } catch {
    return undefined;
  }
}

function storeSession(session: SessionInfo) {
  try {
    localStorage.setItem(STORED_KEY, JSON.stringify(session));
  } catch {
    // Storage disabled: the next load asks the server again.
  }
}

/**
 * Decides who the app runs as before anything opens: the last known session at once when
 * it has a user (checked with the server in the background), otherwise the server's
 * answer. Starts that user's data (replica, feed, outbox).
 */
export async function startSession(): Promise<void> {
  channel = typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel(CHANNEL);
  channel?.addEventListener("message", (event: MessageEvent<SessionNotice>) => void heard(event.data));
  onUnauthorized(() => {
    if (state.session?.mode === "accounts" && state.status === "active") expire();
  });

  const stored = storedSession();
  if (stored?.user) {
    await begin(stored);
    void refresh();
    return;
  }
  try {
    await begin(await auth.fetchSession());
  } catch {
    // No server now: a signed-out browser still shows its sign-in form.
    if (stored) await begin(stored);
    else setState({ status: "unreachable" });
  }
}

async function begin(session: SessionInfo) {
  storeSession(session);
  if (session.user) await startUserData(session.user);
  setState({ status: "active", session });
}

/** Opens the user's stores and starts their feed and outbox: once per page, for one user. */
async function startUserData(user: SessionUser) {
  if (startedFor !== undefined) return;
  startedFor = user.id;
  setStorageUser(user.id);
  // The persisted replica first: the last known projects and messages paint before any request returns.
  await openReplica();
  startLiveSync({ dropped: () => void refresh() });
  void startOutbox();
}

let refreshing: Promise<void> | undefined;

/** Asks the server who we are (in the background); acts on a changed answer. */
export function refresh(): Promise<void> {
  refreshing ??= auth
    .fetchSession()
    .then(reconcile, () => {
      // Offline or the server is down: the last known session stays trusted.
    })
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

function reconcile(fresh: SessionInfo) {
  if (signingOut) return;
  const current = state.session;
  storeSession(fresh);
  if (!current) {
    void begin(fresh);
    return;
  }
  const userNow = current.user?.id;
  if (fresh.user && fresh.user.id !== userNow && startedFor !== undefined) {
    // Someone else is signed in to this browser now: their own page, with their own data.
    location.reload();
    return;
  }
  if (!fresh.user && userNow) {
    if (state.status === "active") expire(fresh);
    return;
  }
  setState({ status: state.status, session: fresh });
}

/** The server no longer knows this session: hold everything, drop nothing, ask to sign in. */
function expire(fresh?: SessionInfo) {
  const session = state.session;
  if (!session || signingOut) return;
  pauseFeed();
  pauseSending();
  // The stored session keeps the user: an offline reload still opens their work.
  if (fresh) storeSession({ ...fresh, user: session.user });
  setState({ status: "expired", session: { ...(fresh ?? session), user: session.user } });
}

/** After a successful sign-in or sign-up: run as that user (here and in the other tabs). */
async function signedIn() {
  const fresh = await auth.fetchSession();
  if (!fresh.user) throw new ApiRequestError(401, "unauthorized", "The server did not keep the session");
  storeSession(fresh);
  channel?.postMessage({ type: "signed-in", userId: fresh.user.id } satisfies SessionNotice);
  await runAs(fresh);
}

async function runAs(fresh: SessionInfo) {
  if (!fresh.user) return;
  if (startedFor === undefined) {
    await begin(fresh);
  } else if (startedFor === fresh.user.id) {
    setState({ status: "active", session: fresh });
    resumeFeed();
    resumeSending();
    refreshSnapshots();
  } else {
    location.reload();
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  await auth.signIn(email, password);
  await signedIn();
}

export async function signUp(name: string, email: string, password: string): Promise<void> {
  await auth.signUp(name, email, password);
  await signedIn();
}

/**
 * Signs out on the server, then clears this user's data here (replica, unsent writes,
 * failed-write notices, drafts) and in every tab, and shows the sign-in form. The UI
 * asks before calling this when writes are unsent. Throws (and clears nothing) if the
 * server cannot be reached: the session would outlive the sign-out.
 */
export async function signOut(): Promise<void> {
  const session = state.session;
  const user = session?.user;
  if (!session || !user) return;
  signingOut = true;
  pauseFeed();
  try {
    await auth.signOut();
  } catch (error) {
    signingOut = false;
    resumeFeed();
    throw error;
  }
  pauseSending();
  channel?.postMessage({ type: "signed-out", userId: user.id } satisfies SessionNotice);
  await forgetLocalData();
  storeSession({ ...session, user: null });
  location.assign("/");
}

async function heard(notice: SessionNotice) {
  if (notice.type === "signed-out") {
    if (startedFor !== notice.userId) return;
    // The tab that signed out deletes the data; this one lets go of it and starts over.
    pauseFeed();
    pauseSending();
    await closeLocalData();
    location.assign("/");
    return;
  }
  if (startedFor === notice.userId && state.status === "active") return;
  const fresh = storedSession();
  if (fresh?.user?.id === notice.userId) await runAs(fresh);
}
