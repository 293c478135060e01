import type { MessageRow } from "@tandem/db/schema";

/**
 * The newest messages of `history` (oldest first) whose text fits in `maxChars`, oldest
 * first: what a model is sent, so a long chat costs a bounded prompt. The last message
 * (the one being answered) is always kept, whatever its length.
 */
export function withinBudget(history: MessageRow[], maxChars: number): MessageRow[] {
  let used = 0;
  let first = history.length;
  while (first > 0) {
    const length = history[first - 1]?.content.length ?? 0;
    if (first < history.length && used + length > maxChars) break;
    used += length;
    first--;
  }
  return history.slice(first);
}
