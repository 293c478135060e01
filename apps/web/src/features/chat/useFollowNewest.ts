import { useLayoutEffect, useRef } from "react";

/** How close to the bottom still counts as "reading the newest". */
const NEAR_BOTTOM_PX = 80;
/** How close to the top asks for earlier entries. */
const NEAR_TOP_PX = 40;

/**
 * Keeps a scrolling log at its newest entry as entries arrive or grow, unless the
 * user has scrolled up to read older ones. Scrolled to the top, it asks for earlier
 * entries (`atTop`), and keeps the entries in view where they were when those arrive
 * above them.
 */
export function useFollowNewest(
  count: number,
  lastText: string | undefined,
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
  }, [follow]);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    if (!follow) return;
    if (following.current) element.scrollTop = element.scrollHeight;
    // Earlier entries arrived above (possibly in steps): keep the reader's place until they scroll.
    else if (anchor.current !== undefined) element.scrollTop = element.scrollHeight - anchor.current;
  }, [count, lastText, follow]);

  return ref;
}
