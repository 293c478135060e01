import { useLayoutEffect, useRef } from "react";

/** How close to the bottom still counts as "reading the newest". */
const NEAR_BOTTOM_PX = 80;

/**
 * Keeps a scrolling log at its newest entry as entries arrive or grow, unless the
 * user has scrolled up to read older ones.
 */
export function useFollowNewest(count: number, lastText: string | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const onScroll = () => {
      following.current = element.scrollHeight - element.scrollTop - element.clientHeight < NEAR_BOTTOM_PX;
    };
    element.addEventListener("scroll", onScroll, { passive: true });
    return () => element.removeEventListener("scroll", onScroll);
  }, []);

  useLayoutEffect(() => {
    const element = ref.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [count, lastText]);

  return ref;
}
