import { useSyncExternalStore } from "react";
import { navigate } from "wouter/use-browser-location";
import { loadAround } from "../../collections/messages.ts";
import { ApiRequestError, describeError } from "../../lib/api.ts";

/** How many messages the chat shows at first, and how many more per "Show earlier". */
export const CHAT_PAGE = 100;

/** A message the chat is asked to show: opened from a search hit (or, later, a link). */
export interface MessageTarget {
  projectId: string;
  messageId: string;
  /**
   * The chat shows the messages created before this time (a page of them, the target
   * near the middle); undefined: the target is among the newest, which the chat shows.
   */
  upTo: string | undefined;
  /** Why it could not be opened, if it could not. */
  error?: string;
  /** Each request is new, even for the same message twice: the chat goes there again. */
  request: number;
}

let target: MessageTarget | undefined;
let requests = 0;
const listeners = new Set<() => void>();

/** The first ISO time after `iso` (times on the wire are milliseconds). */
export const justAfter = (iso: string) => new Date(Date.parse(iso) + 1).toISOString();

/**
 * Goes to a message in its project, however far back: reads the stretch of history
 * around it (into the project's messages collection), then opens the project, whose
 * chat shows that stretch, scrolls to the message and highlights it. Offline, the saved
 * messages up to it (`createdAt`, when known). The one way in for anything that opens a
 * message (search today).
 */
export async function goToMessage(projectId: string, messageId: string, createdAt?: string): Promise<void> {
  const request = ++requests;
  let found: Pick<MessageTarget, "upTo" | "error">;
  try {
    found = { upTo: await boundAround(projectId, messageId) };
  } catch (error) {
    const offline = error instanceof ApiRequestError && error.status === 0;
    found =
      offline && createdAt
        ? { upTo: justAfter(createdAt) }
        : { upTo: undefined, error: describeError(error) };
  }
  // A newer request (another hit opened meanwhile) wins.
  if (request !== requests) return;
  target = { projectId, messageId, ...found, request };
  for (const listener of listeners) listener();
  const path = `/projects/${projectId}`;
  if (location.pathname !== path) navigate(path);
}

/**
 * Reads a stretch around the message, long enough that the chat's first page (up to
 * half a page after the message) and that page's ties come from it with no other read.
 */
async function boundAround(projectId: string, messageId: string): Promise<string | undefined> {
  const rows = await loadAround(projectId, messageId, 2 * CHAT_PAGE + 1);
  const at = rows.findIndex((row) => row.id === messageId);
  if (at < 0) throw new Error("the message is not there any more");
  // Among the newest: the chat's first page already shows it.
  if (rows.length - at - 1 < CHAT_PAGE) return undefined;
  const last = rows[at + CHAT_PAGE / 2 - 1] ?? rows[at];
  return last && justAfter(last.createdAt);
}

/** The latest message the chat of `projectId` was asked to show. */
export function useMessageTarget(projectId: string): MessageTarget | undefined {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => target,
  );
  return current?.projectId === projectId ? current : undefined;
}

/** The chat has shown it: a later visit to the project opens at the newest again. */
export function targetReached(request: number): void {
  if (target?.request === request) target = undefined;
}
