import type { Message } from "@tandem/shared";

/** Where a message stands among the versions of its turn (its siblings of the same role). */
export interface Versions {
  /** 1-based, in the order they were made. */
  index: number;
  count: number;
  previous: string | undefined;
  next: string | undefined;
}

export interface Branch {
  /** The branch on screen, oldest first: as far up as the loaded messages reach. */
  messages: Message[];
  /** The versions of each message on the branch that has more than one. */
  versions: Map<string, Versions>;
}

const older = (a: Message, b: Message) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * The branch to show among the loaded messages (any order, every branch). `anchor` is the
 * message the user chose last (a version switched to, a message sent, edited or
 * regenerated): the branch runs through it and, below it, always takes the newest version,
 * so what is added under it later (a reply, another tab's regenerate) shows. With no
 * anchor, or one not loaded, the branch ends at the newest message.
 *
 * A window holds the newest messages by time, and a message is always newer than its
 * parent, so the loaded part of any branch is its end: walking up stops where the window
 * does, and "Show earlier" reaches further up.
 */
export function branchOf(rows: readonly Message[], anchor: string | undefined): Branch {
  const byId = new Map<string, Message>();
  const children = new Map<string | null, Message[]>();
  for (const row of [...rows].sort(older)) {
    byId.set(row.id, row);
    const siblings = children.get(row.parentId);
    if (siblings) siblings.push(row);
    else children.set(row.parentId, [row]);
  }

  let leaf = (anchor !== undefined ? byId.get(anchor) : undefined) ?? [...byId.values()].at(-1);
  for (let next = leaf && children.get(leaf.id)?.at(-1); next; next = children.get(next.id)?.at(-1)) {
    leaf = next;
  }

  const messages: Message[] = [];
  const seen = new Set<string>();
  for (let at = leaf; at && !seen.has(at.id); ) {
    seen.add(at.id);
    messages.push(at);
    const parent = at.parentId === null ? undefined : byId.get(at.parentId);
    // A message sent before the one above it was answered follows that answer once it
    // comes (the server stores it so): show the answer between them meanwhile.
    const answer =
      at.role === "user" && parent?.role === "user"
        ? children.get(parent.id)?.find((row) => row.role === "assistant")
        : undefined;
    if (answer && !seen.has(answer.id)) {
      seen.add(answer.id);
      messages.push(answer);
    }
    at = parent;
  }
  messages.reverse();

  const versions = new Map<string, Versions>();
  for (const message of messages) {
    const siblings = (children.get(message.parentId) ?? []).filter((row) => row.role === message.role);
    if (siblings.length < 2) continue;
    const at = siblings.findIndex((row) => row.id === message.id);
    versions.set(message.id, {
      index: at + 1,
      count: siblings.length,
      previous: siblings[at - 1]?.id,
      next: siblings[at + 1]?.id,
    });
  }
  return { messages, versions };
}
