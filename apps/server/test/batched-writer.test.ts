import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { createBatchedWriter } from "../src/assistant/batched-writer.ts";

/** A write that records what it wrote, and can be held open to play a slow database. */
function recorder() {
  const written: string[] = [];
  let hold: Promise<void> | undefined;
  let release = () => {};
  return {
    written,
    write: async (value: string) => {
      written.push(value);
      await hold;
    },
    holdNext() {
      hold = new Promise((resolve) => {
        release = () => {
          hold = undefined;
          resolve();
        };
      });
    },
    release: () => release(),
  };
}

describe("the batched writer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a burst of changes within one interval is one write, of the newest value", async () => {
    const db = recorder();
    const writer = createBatchedWriter({ intervalMs: 250, write: db.write, onError: () => {} });
    for (let i = 1; i <= 100; i++) writer.push(`text ${i}`);
    expect(db.written).toEqual([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(db.written).toEqual(["text 100"]);
  });

  test("steady changes are written at most once per interval", async () => {
    const db = recorder();
    const writer = createBatchedWriter({ intervalMs: 250, write: db.write, onError: () => {} });
    // One change every 10 ms for 1 s: 100 changes.
    for (let i = 1; i <= 100; i++) {
      writer.push(`text ${i}`);
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(db.written.length).toBeLessThanOrEqual(4);
    expect(db.written.length).toBeGreaterThanOrEqual(3);
    await vi.advanceTimersByTimeAsync(250);
    expect(db.written.at(-1)).toBe("text 100");
  });

  test("nothing changes, nothing is written", async () => {
    const db = recorder();
    createBatchedWriter({ intervalMs: 250, write: db.write, onError: () => {} });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(db.written).toEqual([]);
  });

  test("never two writes at once: a slow write delays the next one", async () => {
    const db = recorder();
    const writer = createBatchedWriter({ intervalMs: 100, write: db.write, onError: () => {} });
    db.holdNext();
    writer.push("a");
    await vi.advanceTimersByTimeAsync(100);
    expect(db.written).toEqual(["a"]);

    writer.push("ab");
    writer.push("abc");
    await vi.advanceTimersByTimeAsync(1000);
    expect(db.written).toEqual(["a"]);

    db.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(db.written).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(100);
    expect(db.written).toEqual(["a", "abc"]);
  });

  test("a failed write is reported and the next change is written as usual", async () => {
    const errors: unknown[] = [];
    const written: string[] = [];
    let fail = true;
    const writer = createBatchedWriter({
      intervalMs: 50,
      write: async (value: string) => {
        if (fail) {
          fail = false;
          throw new Error("connection lost");
        }
        written.push(value);
      },
      onError: (error) => errors.push(error),
    });
    writer.push("a");
    await vi.advanceTimersByTimeAsync(50);
    writer.push("ab");
    await vi.advanceTimersByTimeAsync(50);
    expect(errors).toHaveLength(1);
    expect(written).toEqual(["ab"]);
  });

  test("close drops what is pending and waits for the write in flight", async () => {
    const db = recorder();
    const writer = createBatchedWriter({ intervalMs: 100, write: db.write, onError: () => {} });
    db.holdNext();
    writer.push("a");
    await vi.advanceTimersByTimeAsync(100);
    writer.push("ab");

    let closed = false;
    const closing = writer.close().then(() => {
      closed = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    db.release();
    await closing;
    writer.push("abc");
    await vi.advanceTimersByTimeAsync(1000);
    expect(db.written).toEqual(["a"]);
  });
});
