import { sameJson } from "@tandem/shared";

/** A row as the server versions it: every accepted change moves `version` up by one. */
export interface Versioned {
  id: string;
  version: number;
}

/**
 * Whether a server row goes into the synced store over what is there. A row never goes
 * back to an older version. The same version again goes in when it `confirms` this
 * browser's own write, or when it differs from the row there: two copies of one version
 * from the server are the same, so a different one there is the row as this browser made
 * it before the server had it (a message the server placed after others, with its own
 * parent and time), and the server's copy replaces it whichever way it comes (the feed,
 * the reply's stream, the outbox's answer). Otherwise it is skipped.
 */
export function takesOver(current: Versioned | undefined, incoming: Versioned, confirms: boolean): boolean {
  if (!current) return true;
  if (incoming.version !== current.version) return incoming.version > current.version;
  return confirms || !sameJson(current, incoming);
}
