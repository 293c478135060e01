import { randomUUID } from "node:crypto";
import type { DbKind } from "@tandem/db/client";
import { messages, runningProcesses } from "@tandem/db/schema";
import { LOCAL_OWNER } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { Assistant } from "../src/assistant/assistant.ts";
import { INTERRUPTED_ERROR } from "../src/assistant/generation-sql.ts";
import { backends, type TestServer, useTestServer } from "./backends.ts";
import { postChat, processesOf, storedMessage, waitFor } from "./chat.ts";
import { createProject } from "./http.ts";
import { useScriptedModel } from "./model.ts";
import { readAll, shape } from "./sse.ts";

/** A reply another instance was writing: a streaming message with a running process, its heartbeat `ageMs` old. */
async function foreignReply(
  server: TestServer,
  { ageMs, instanceId = "a-dead-instance" }: { ageMs: number; instanceId?: string },
) {
  const project = await createProject(server);
  const messageId = randomUUID();
  await server.handle.db.insert(messages).values({
    id: messageId,
    projectId: project.id,
    role: "assistant",
    content: "Half a thou",
    parts: [{ type: "text", text: "Half a thou" }],
    status: "streaming",
  });
  await server.handle.db.insert(runningProcesses).values({
    id: randomUUID(),
    userId: LOCAL_OWNER.id,
    projectId: project.id,
    messageId,
    model: "elsewhere",
    instanceId,
    heartbeatAt: sql`now() - ${`${ageMs} milliseconds`}::interval`,
  });
  return { projectId: project.id, messageId };
}

const expectInterrupted = async (server: TestServer, messageId: string) => {
  expect(await storedMessage(server, messageId)).toMatchObject({
    status: "interrupted",
    content: "Half a thou",
    error: INTERRUPTED_ERROR,
  });
  expect(await processesOf(server, messageId)).toMatchObject([
    { status: "interrupted", error: INTERRUPTED_ERROR },
  ]);
};

describe.each(backends)("recovering replies of dead instances on %s", (kind: DbKind) => {
  const server = useTestServer(kind, { assistant: { model: useScriptedModel(), staleMs: 10_000 } });

  test("at start-up: PGlite interrupts every running reply; Postgres those with a stale heartbeat", async () => {
    const stale = await foreignReply(server, { ageMs: 60_000 });
    const fresh = await foreignReply(server, { ageMs: 0 });

    const restarted = new Assistant(server.handle, { staleMs: 10_000 });
    const interrupted = await restarted.recover();

    await expectInterrupted(server, stale.messageId);
    if (kind === "pglite") {
      expect(interrupted.sort()).toEqual([stale.messageId, fresh.messageId].sort());
      await expectInterrupted(server, fresh.messageId);
    } else {
      expect(interrupted).toEqual([stale.messageId]);
      expect(await storedMessage(server, fresh.messageId)).toMatchObject({ status: "streaming" });
      await new Assistant(server.handle, { staleMs: 0 }).recover();
    }
  });

  test("a reply left streaming without any running process is interrupted", async () => {
    const { messageId } = await foreignReply(server, { ageMs: 0 });
    await server.handle.db.delete(runningProcesses).where(sql`${runningProcesses.messageId} = ${messageId}`);
    await new Assistant(server.handle, { staleMs: 10_000 }).recover();
    expect(await storedMessage(server, messageId)).toMatchObject({
      status: "interrupted",
      content: "Half a thou",
    });
  });

  test("the sweeper interrupts a reply whose heartbeat goes stale while this instance runs", async () => {
    const sweeping = new Assistant(server.handle, { staleMs: 300 });
    sweeping.startSweeper();
    try {
      const { messageId } = await foreignReply(server, { ageMs: 0 });
      await waitFor(
        "the sweeper",
        async () => (await storedMessage(server, messageId))?.status === "interrupted",
      );
      await expectInterrupted(server, messageId);
    } finally {
      await sweeping.shutdown();
    }
  });

  test("the sweeper never takes its own instance's replies for dead, however late their heartbeat", async () => {
    const sweeping = new Assistant(server.handle, { staleMs: 300 });
    sweeping.startSweeper();
    try {
      // Its own, with a heartbeat as late as a busy event loop makes it; and another's.
      const own = await foreignReply(server, { ageMs: 60_000, instanceId: sweeping.instanceId });
      const other = await foreignReply(server, { ageMs: 60_000 });
      await waitFor(
        "the sweeper",
        async () => (await storedMessage(server, other.messageId))?.status === "interrupted",
      );
      expect(await storedMessage(server, own.messageId)).toMatchObject({ status: "streaming" });
      expect(await processesOf(server, own.messageId)).toMatchObject([{ status: "running" }]);
    } finally {
      await sweeping.shutdown();
      await new Assistant(server.handle, { staleMs: 0 }).recover();
    }
  });

  test("a new message in a project whose reply's writer died is answered, not refused", async () => {
    const { projectId, messageId } = await foreignReply(server, { ageMs: 60_000 });
    const chunks = await readAll(await postChat(server, projectId, "[tokens:2] after a crash"));
    expect(shape(chunks).at(-2)).toBe("data-message:assistant:complete");
    await expectInterrupted(server, messageId);
  });
});
