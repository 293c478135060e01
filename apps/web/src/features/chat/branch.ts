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
 * Plain sends the server has not placed yet: `unsent` (on their way, in the outbox) and
 * `failed` (refused, kept with Retry). Edits and regenerates are not among them: they go
 * beside the message they edit or answer, as the row says.
 */
export interface Unplaced {
  unsent?: ReadonlySet<string>;
  failed?: ReadonlySet<string>;
}

/**
 * The branch to show among the loaded messages (any order, every branch). `anchor` is the
 * message the user chose last (a version switched to, a message sent, edited or
 * regenerated): the branch runs through it and, below it, always takes the newest version,
 * so what is added under it later (a reply, another tab's regenerate) shows. With no
 * anchor, or one not loaded, the branch ends at the newest message.
 *
 * A plain send the server has not placed yet names the message it was sent after, but the
 * server puts it at the end of the branch that continues from there (others may have
 * sent meanwhile), never beside what is there: it is shown there too (a copy of the row
 * with that parent), so no version switcher shows that the server will not have. Unsent
 * ones are placed in the order they were made (as the outbox sends them), then failed ones,
 * which nothing is placed after.
 *
 * A window holds the newest messages by time, and a message is always newer than its
 * parent, so the loaded part of any branch is its end: walking up stops where the window
 * does, and "Show earlier" reaches further up.
 */
export function branchOf(
  rows: readonly Message[],
  anchor: string | undefined,
  { unsent = new Set(), failed = new Set() }: Unplaced = {},
): Branch {
  const byId = new Map<string, Message>();
  const children = new Map<string | null, Message[]>();
  const adopt = (row: Message) => {
    byId.set(row.id, row);
    const siblings = children.get(row.parentId);
    if (siblings) siblings.push(row);
    else children.set(row.parentId, [row]);
  };
  const sorted = [...rows].sort(older);
  for (const row of sorted) if (!unsent.has(row.id) && !failed.has(row.id)) adopt(row);
  for (const row of sorted) if (unsent.has(row.id)) adopt(placed(row, byId, children));
  for (const row of sorted) if (failed.has(row.id) && !unsent.has(row.id)) adopt(placed(row, byId, children));

  let leaf = (anchor !== undefined ? byId.get(anchor) : undefined) ?? [...byId.values()].at(-1);
  for (let next = leaf && children.get(leaf.id)?.at(-1); next; next = children.get(next.id)?.at(-1)) {
    leaf = next;
  }

  const messages: Message[] = [];
  const seen = new Set<string>();
  for (let at = leaf; at && !seen.has(at.id); ) {
    seen.add(at.id);
    messages.push(at);
    at = at.parentId === null ? undefined : byId.get(at.parentId);
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

/**
 * Where the server will put a plain send (see insertMessage on the server): after the
 * message it names if nothing follows that yet, else after the newest message of the
 * branch going on from it (null: from the newest first message). A parent not loaded
 * here is left as named.
 */
function placed(
  row: Message,
  byId: ReadonlyMap<string, Message>,
  children: ReadonlyMap<string | null, Message[]>,
): Message {
  if (row.parentId !== null && !byId.has(row.parentId)) return row;
  let parent = row.parentId === null ? children.get(null)?.at(-1)?.id : row.parentId;
  for (let next = parent === undefined ? undefined : children.get(parent)?.at(-1); next; ) {
    parent = next.id;
    next = children.get(next.id)?.at(-1);
  }
  const parentId = parent ?? null;
  return parentId === row.parentId ? row : { ...row, parentId };
}
