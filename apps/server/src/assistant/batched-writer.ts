/**
 * Turns a value that changes many times a second (a reply's text, token by token) into
 * a few writes: at most one write per `intervalMs`, never two at once, always the newest
 * value. The first change waits `intervalMs` too, so a burst of tokens costs one write.
 */
export interface BatchedWriter<T> {
  /** The value changed; it is written within about `intervalMs`, unless a newer one comes first. */
  push(value: T): void;
  /** No more writes: drops a value not yet written, and resolves once a write in flight ends. */
  close(): Promise<void>;
}

export interface BatchedWriterOptions<T> {
  intervalMs: number;
  write: (value: T) => Promise<void>;
  /** A failed write is reported here; the next change is written as usual. */
  onError: (error: unknown) => void;
}

export function createBatchedWriter<T>({
  intervalMs,
  write,
  onError,
}: BatchedWriterOptions<T>): BatchedWriter<T> {
  let pending: { value: T } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let closed = false;

  function schedule() {
    if (closed || timer || inFlight || !pending) return;
    timer = setTimeout(flush, intervalMs);
  }

  function flush() {
    timer = undefined;
    if (closed || !pending) return;
    const { value } = pending;
    pending = undefined;
    inFlight = (async () => {
      try {
        await write(value);
      } catch (error) {
        onError(error);
      }
    })().finally(() => {
      inFlight = undefined;
      // The interval counts from the end of a write, so a slow database gets fewer writes.
      schedule();
    });
  }

  return {
    push(value) {
      if (closed) return;
      pending = { value };
      schedule();
    },
    async close() {
      closed = true;
      pending = undefined;
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}
