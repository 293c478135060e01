import type { Message } from "@tandem/shared";
import { expect, test } from "vitest";
import { messagesScope, noteChange, readWindow } from "../src/lib/snapshots.ts";

const projectId = "0190a000-0000-7000-8000-000000000001";
const message = (id: string, version: number, content = `v${version}`): Message => ({
  id,
  projectId,
  parentId: null,
  role: "user",
  content,
  parts: [{ type: "text", text: content }],
  status: "complete",
  error: null,
  createdAt: "2026-11-30T00:00:00.000Z",
  updatedAt: "2026-11-30T00:00:00.000Z",
  version,
});
const [a, b, c] = [
  "0190a000-0000-7000-8000-00000000000a",
  "0190a000-0000-7000-8000-00000000000b",
  "0190a000-0000-7000-8000-00000000000c",
];

test("a window read at position 10 lands after newer feed changes: it answers the rows as of now", async () => {
  let answer!: (value: { rows: Message[]; position: string }) => void;
  const read = readWindow<Message>(
    messagesScope(projectId),
    () => new Promise<{ rows: Message[]; position: string }>((resolve) => (answer = resolve)),
  );

  // While the read is on its way: a's edit (after the read's position), b's delete, and
  // an edit that the read already holds (at its position).
  noteChange(11n, { entity: "message", op: "upsert", id: a, projectId, row: message(a, 2) });
  noteChange(12n, { entity: "message", op: "delete", id: b, projectId, row: message(b, 1) });
  noteChange(10n, { entity: "message", op: "upsert", id: c, projectId, row: message(c, 1, "old") });
  answer({ rows: [message(a, 1), message(b, 1), message(c, 2)], position: "10" });

  const { rows, changed } = await read;
  expect(rows.map((row) => [row.id, row.version])).toEqual([
    [a, 2],
    [c, 2],
  ]);
  expect([...changed].sort()).toEqual([a, b]);
});

test("a read from the replica (no position) counts every change made while it ran", async () => {
  const read = readWindow(messagesScope(projectId), async () => {
    noteChange(3n, { entity: "message", op: "delete", id: a, projectId, row: message(a, 1) });
    return { rows: [message(a, 1), message(b, 1)], position: undefined };
  });
  expect((await read).rows.map((row) => row.id)).toEqual([b]);
});
