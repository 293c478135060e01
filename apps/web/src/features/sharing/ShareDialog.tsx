import type { Member, SessionUser } from "@tandem/shared";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { ApiRequestError, describeError } from "../../lib/api.ts";
import { inviteMember, listMembers, removeMember } from "../../lib/members.ts";
import { onMemberChange } from "../../sync/live-sync.ts";
import { useModal } from "../projects/useModal.ts";
import { leaveProject } from "./actions.ts";

interface Props {
  projectId: string;
  projectName: string;
  me: SessionUser;
  onClose: () => void;
  /** The user left the project: it is gone from this browser. */
  onLeft: () => void;
}

/**
 * Who the project is shared with. The owner invites by email and removes members; a
 * member may leave. The list is read when the dialog opens and again on every
 * membership change the feed brings.
 */
export function ShareDialog({ projectId, projectName, me, onClose, onLeft }: Props) {
  const dialog = useModal();
  const [members, setMembers] = useState<Member[]>();
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const load = useCallback(() => {
    listMembers(projectId).then(setMembers, (caught: unknown) => setError(explain(caught)));
  }, [projectId]);

  useEffect(() => {
    load();
    return onMemberChange((change) => {
      if (change.projectId === projectId) load();
    });
  }, [projectId, load]);

  const act = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .catch((caught: unknown) => setError(explain(caught)))
      .finally(() => setBusy(false));
  };

  const invite = (event: FormEvent) => {
    event.preventDefault();
    act(async () => {
      const member = await inviteMember(projectId, email.trim());
      setMembers((list) => upsert(list, member));
      setEmail("");
    });
  };

  const remove = (member: Member) =>
    act(async () => {
      await removeMember(projectId, member.userId);
      setMembers((list) => list?.filter((m) => m.userId !== member.userId));
    });

  const leave = () =>
    act(async () => {
      await leaveProject(projectId, me.id);
      onLeft();
    });

  const isOwner = members?.some((m) => m.userId === me.id && m.role === "owner") ?? false;

  return (
    <dialog ref={dialog} aria-labelledby="share-title" onClose={onClose} className="dialog share-dialog">
      <h2 id="share-title">Share project</h2>
      <p className="muted">Members of “{projectName}” read and write its chat, and can rename it.</p>
      {isOwner && (
        <form className="invite-form" onSubmit={invite}>
          <label htmlFor="invite-email">Email</label>
          <div className="invite-row">
            <input
              id="invite-email"
              type="email"
              required
              autoComplete="off"
              placeholder="name@example.com"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
            />
            <button type="submit" className="primary" disabled={busy}>
              Invite
            </button>
          </div>
        </form>
      )}
      {error && (
        <p role="alert" className="dialog-error">
          {error}
        </p>
      )}
      {members === undefined ? (
        !error && <p className="muted">Loading members…</p>
      ) : (
        <ul className="members" aria-label="Members">
          {members.map((member) => (
            <li key={member.userId} className="member">
              <span className="member-who">
                <span className="member-email">{member.email}</span>
                <span className="muted">
                  {member.name}
                  {member.userId === me.id ? " (you)" : ""} · {member.role === "owner" ? "Owner" : "Member"}
                </span>
              </span>
              {isOwner && member.role !== "owner" && (
                <button type="button" className="small" disabled={busy} onClick={() => remove(member)}>
                  Remove
                </button>
              )}
              {!isOwner && member.userId === me.id && (
                <button type="button" className="small danger-outline" disabled={busy} onClick={leave}>
                  Leave project
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}

function upsert(list: Member[] | undefined, member: Member): Member[] {
  const others = (list ?? []).filter((m) => m.userId !== member.userId);
  return [...others, member].sort((a, b) =>
    a.role === b.role ? a.email.localeCompare(b.email) : a.role === "owner" ? -1 : 1,
  );
}

function explain(error: unknown): string {
  if (error instanceof ApiRequestError) {
    if (error.code === "user_not_found") return "No account uses that email. Ask them to sign up first.";
    if (error.code === "invalid_input") return "That isn't an email address.";
    if (error.code === "forbidden") return "Only the project's owner can do that.";
    if (error.code === "owner_cannot_leave") return "The owner can't leave their own project.";
  }
  return `Couldn't do that: ${describeError(error).replace(/\.$/, "")}.`;
}
