import { QueryClient } from "@tanstack/react-query";

/**
 * Snapshots are read once and then kept current by the change feed, so a query never
 * goes stale by age or window focus; the feed's `reset` refetches when it must.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { staleTime: Number.POSITIVE_INFINITY, refetchOnWindowFocus: false, retry: 2 },
  },
});
