import { escapeSnippet } from "@tandem/shared";

/**
 * Word matching for offline search, over the messages this browser has saved. A small
 * cousin of the server's 'english' full-text search: words are lower-cased and their
 * common endings cut (foxes → fox, jumping → jump, released → releas), so "fox jump"
 * finds "foxes were jumping" here too; every word searched for must be in the text.
 */

const STOP_WORDS = new Set(
  "a an and are as at be but by for from has have in is it its of on or that the this to was were will with".split(
    " ",
  ),
);

const WORD = /[\p{L}\p{N}]+/gu;

/** A word's stem: lower case, a common English ending cut, a final e and doubled consonant dropped. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  else if (w.length > 4 && /(s|x|z|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  if (w.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** The stems a search looks for (stop words and symbols dropped); empty: nothing to look for. */
export function searchTerms(query: string): string[] {
  const words = query.match(WORD) ?? [];
  return [...new Set(words.filter((w) => !STOP_WORDS.has(w.toLowerCase())).map(stem))];
}

/** How short a text is shown whole; a longer one is cut around its first match. */
const WHOLE_TEXT = 280;
const BEFORE_MATCH = 60;

/**
 * Whether `text` holds every term, and if so how often they occur (its score) and its
 * snippet in the API's form: escaped text with each match in `<mark>…</mark>`.
 */
export function matchText(text: string, terms: string[]): { score: number; snippet: string } | undefined {
  if (terms.length === 0) return undefined;
  const wanted = new Set(terms);
  const found = new Set<string>();
  const matches: Array<{ start: number; end: number }> = [];
  for (const match of text.matchAll(WORD)) {
    const stemmed = stem(match[0]);
    if (!wanted.has(stemmed)) continue;
    found.add(stemmed);
    matches.push({ start: match.index, end: match.index + match[0].length });
  }
  if (found.size < wanted.size) return undefined;

  let from = 0;
  let to = text.length;
  if (text.length > WHOLE_TEXT) {
    from = Math.max(0, (matches[0]?.start ?? 0) - BEFORE_MATCH);
    to = Math.min(text.length, from + WHOLE_TEXT);
  }
  let snippet = from > 0 ? "… " : "";
  let at = from;
  for (const { start, end } of matches) {
    if (start < from || end > to) continue;
    snippet += `${escapeSnippet(text.slice(at, start))}<mark>${escapeSnippet(text.slice(start, end))}</mark>`;
    at = end;
  }
  snippet += escapeSnippet(text.slice(at, to)) + (to < text.length ? " …" : "");
  return { score: matches.length, snippet };
}
