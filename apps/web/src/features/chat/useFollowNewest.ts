import { useCallback, useLayoutEffect, useRef, useState } from "react";

/** How close to the bottom still counts as "reading the newest". */
const NEAR_BOTTOM_PX = 80;
/** How close to the top asks for earlier entries. */
const NEAR_TOP_PX = 40;

/** The newest entry: which it is, and its text (a reply grows). */
export interface NewestEntry {
  id: string | undefined;
  text: string | undefined;
}

/**
 * Keeps a scrolling log at its newest entry as entries arrive or grow, unless the
 * user has scrolled up to read older ones. Scrolled to the top, it asks for earlier
 * entries (`atTop`), and keeps the entries in view where they were when those arrive
 * above them. While the user reads older entries, a new entry (or the newest growing)
 * sets `behind`, until they are back at the bottom; `toNewest` takes them there.
 */
export function useFollowNewest(
  count: number,
  newest: NewestEntry,
  atTop?: () => void,
  /** False while the log is held at older entries (a search hit): it never jumps to the newest. */
  follow = true,
) {
  const ref = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  const onTop = useRef(atTop);
  onTop.current = atTop;
  /** Distance from the bottom when earlier entries were asked for: kept when they arrive. */
  const anchor = useRef<number | undefined>(undefined);
  /** The newest entry as last laid out, to tell a new one from earlier ones arriving above. */
  const seen = useRef<NewestEntry>(newest);
  const [behind, setBehind] = useState(false);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const onScroll = () => {
      const fromBottom = element.scrollHeight - element.scrollTop;
      // Our own restoring scroll: the reader's place is still the anchored one.
      if (anchor.current !== undefined && Math.abs(fromBottom - anchor.current) < 2 && element.scrollTop > 0)
        return;
      anchor.current = undefined;
      following.current = fromBottom - element.clientHeight < NEAR_BOTTOM_PX;
      if (following.current) setBehind(false);
      if (element.scrollTop < NEAR_TOP_PX && onTop.current) {
        anchor.current = fromBottom;
        onTop.current();
      }
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, []);

  // Back to following (held no more): the newest are in view again.
  useLayoutEffect(() => {
    following.current = follow;
    if (!follow) setBehind(false);
  }, [follow]);

  useLayoutEffect(() => {
    const element = ref.current;
    const changed =
      seen.current.id !== undefined && (newest.id !== seen.current.id || newest.text !== seen.current.text);
    seen.current = newest;
    if (!element) return;
    if (!follow) return;
    if (following.current) element.scrollTop = element.scrollHeight;
    else {
      // Earlier entries arrived above (possibly in steps): keep the reader's place until they scroll.
      if (anchor.current !== undefined) element.scrollTop = element.scrollHeight - anchor.current;
      if (changed) setBehind(true);
    }
  }, [count, newest.id, newest.text, follow]);

  const toNewest = useCallback(() => {
    const element = ref.current;
    if (!element) return;
    anchor.current = undefined;
    following.current = true;
    setBehind(false);
    element.scrollTop = element.scrollHeight;
  }, []);

  return { ref, behind, toNewest };
}
