/** A row as the server versions it: every accepted change moves `version` up by one. */
export interface Versioned {
  id: string;
  version: number;
}

/**
 * Whether a server row goes into the synced store over what is there. A row never goes
 * back to an older version, and the same version again is skipped, except when it
 * `confirms` this browser's own write: the row shown until then was the user's, so the
 * server's copy replaces it even at the same version.
 */
export function takesOver(current: Versioned | undefined, incoming: Versioned, confirms: boolean): boolean {
  if (!current) return true;
  if (incoming.version !== current.version) return incoming.version > current.version;
  return confirms;
}
