import { z } from "zod/mini";
import { idSchema, noNul, timestampSchema } from "./ids.ts";
import { messageRoleSchema } from "./messages.ts";

/** The longest search a client may send, in characters (after trimming). */
export const SEARCH_QUERY_MAX = 200;
/** Hits per page: the default and the most. */
export const SEARCH_LIMIT_DEFAULT = 20;
export const SEARCH_LIMIT_MAX = 50;

/**
 * `GET /api/search`: `q` in web-search syntax (words, "a phrase", -not, or), a page of
 * `limit` hits, and `cursor` (a previous page's `nextCursor`) for the next page.
 */
export const searchQuerySchema = z.strictObject({
  q: z
    .string({ error: "is required" })
    .check(
      z.trim(),
      z.minLength(1, { error: "must not be empty" }),
      z.maxLength(SEARCH_QUERY_MAX, { error: `must be at most ${SEARCH_QUERY_MAX} characters` }),
      z.refine(noNul, { error: "must not contain NUL characters" }),
    ),
  limit: z._default(
    z.coerce
      .number({ error: "must be a number" })
      .check(z.int({ error: "must be a whole number" }), z.gte(1), z.lte(SEARCH_LIMIT_MAX)),
    SEARCH_LIMIT_DEFAULT,
  ),
  cursor: z.optional(z.string().check(z.maxLength(1000, { error: "is not a cursor of this API" }))),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

/**
 * One hit: a message, or a project whose name matches (then `messageId` and `role` are
 * null and `createdAt` is the project's). `snippet` is HTML: the matched text with each
 * match in `<mark>…</mark>`, everything else escaped (`&amp;`, `&lt;`, `&gt;`, `&quot;`,
 * `&#39;`); a client shows it with `snippetParts`, never as raw HTML.
 */
export const searchHitSchema = z.object({
  kind: z.enum(["message", "project"]),
  projectId: idSchema,
  projectName: z.string(),
  messageId: z.nullable(idSchema),
  role: z.nullable(messageRoleSchema),
  createdAt: timestampSchema,
  snippet: z.string(),
});
export type SearchHit = z.infer<typeof searchHitSchema>;

export const searchResultSchema = z.object({
  hits: z.array(searchHitSchema),
  /** The next page's cursor; null on the last page. */
  nextCursor: z.nullable(z.string()),
});
export type SearchResult = z.infer<typeof searchResultSchema>;

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" };

/**
 * A snippet as text runs, each marked or not: the only markup read is `<mark>` and
 * `</mark>`, the five entities are decoded, anything else stays text. A view renders
 * the runs as text nodes and `<mark>` elements, so a snippet can never inject HTML.
 */
export function snippetParts(snippet: string): Array<{ text: string; marked: boolean }> {
  const parts: Array<{ text: string; marked: boolean }> = [];
  let marked = false;
  for (const piece of snippet.split(/(<mark>|<\/mark>)/)) {
    if (piece === "<mark>") marked = true;
    else if (piece === "</mark>") marked = false;
    else if (piece) {
      const text = piece.replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => entities[name] ?? "");
      const last = parts.at(-1);
      if (last && last.marked === marked) last.text += text;
      else parts.push({ text, marked });
    }
  }
  return parts;
}

/** Text escaped for a snippet (what the server does before marking matches). */
export function escapeSnippet(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "#39" }[c]};`,
  );
}
