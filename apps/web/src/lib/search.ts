import type { SearchResult } from "@tandem/shared";
import { api, send } from "./api.ts";

/** One page of the server's search over every project the user is a member of; `signal` cancels it. */
export function searchMessages(
  q: string,
  limit: number,
  { cursor, signal }: { cursor?: string | undefined; signal?: AbortSignal } = {},
): Promise<SearchResult> {
  const query = cursor === undefined ? { q, limit: String(limit) } : { q, limit: String(limit), cursor };
  return send(() => api.search.$get({ query }, signal ? { init: { signal } } : undefined));
}
