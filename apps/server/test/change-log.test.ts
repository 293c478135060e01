import { randomBytes, randomUUID } from "node:crypto";
import { messages, runningProcesses } from "@tandem/db/schema";
import { type ChangeEvent, FEED_POSITION_HEADER, messageSchema, projectSchema } from "@tandem/shared";
import { eq, sql } from "drizzle-orm";
import { describe, expect, test, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { Assistant } from "../src/assistant/assistant.ts";
import { interruptStale } from "../src/assistant/generation-sql.ts";
import { readHead } from "../src/feed/change-log.ts";
import { log } from "../src/log.ts";
import { toMessage, toRunningProcess } from "../src/rows.ts";
import { backends, useTestServer } from "./backends.ts";
import { chatPost, postChat, processesOf, storedMessage, waitFor } from "./chat.ts";
import { appendedBy, eventNames, logAfter, openFeedAtHead } from "./feed.ts";
import { call, createMessage, createProject, expectError, OWN_ORIGIN } from "./http.ts";
import { scriptedText, useScriptedModel } from "./model.ts";
import { readAll, SseReader } from "./sse.ts";

const script = (directives: string) => `${directives} #${randomBytes(4).toString("hex")}`;

const startOf = async (reader: SseReader) => {
  const chunk = await reader.next();
  if (chunk?.type !== "start" || !chunk.messageId) throw new Error("Not a start chunk");
  return chunk.messageId;
};

/** The events of one entity, checked to carry the row's own id and project. */
function expectEvent(event: ChangeEvent | undefined, expected: Partial<ChangeEvent>) {
  expect(event).toMatchObject(expected);
  if (!event) return;
  expect(event.id).toBe(event.row.id);
  expect(event.projectId).toBe(event.entity === "project" ? event.row.id : event.row.projectId);
}

describe.each(backends)("the change log on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, {
    assistant: { model, flushMs: 20, heartbeatMs: 50, staleMs: 10_000 },
  });
  const db = () => server.handle.db;

  describe("projects", () => {
    test("a create appends the stored row; its retry and a conflicting create append nothing", async () => {
      const id = randomUUID();
      let created: Response | undefined;
      const events = await appendedBy(db(), async () => {
        created = await server.app.request("/api/projects", {
          method: "POST",
          headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
          body: JSON.stringify({ id, name: "Launch" }),
        });
      });
      if (!created) throw new Error("No answer");
      const row = projectSchema.parse(await created.json());
      expect(events).toEqual([{ entity: "project", op: "upsert", id, projectId: id, row }]);
      expect(created.headers.get(FEED_POSITION_HEADER)).toBe(String(await readHead(db())));

      const retried = await appendedBy(db(), async () => {
        const answer = await server.app.request("/api/projects", {
          method: "POST",
          headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
          body: JSON.stringify({ id, name: "Launch" }),
        });
        expect(answer.status).toBe(200);
        expect(answer.headers.get(FEED_POSITION_HEADER)).toBeNull();
      });
      expect(retried).toEqual([]);
      expect(
        await appendedBy(db(), async () =>
          expectError(
            await call(server, "POST", "/api/projects", { id, name: "Other" }),
            409,
            "duplicate_id",
          ),
        ),
      ).toEqual([]);
    });

    test("a rename appends the new row; a stale one, an unknown id and a bad body append nothing", async () => {
      const project = await createProject(server, { name: "Before" });
      const events = await appendedBy(db(), async () => {
        const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
          name: "After",
          version: 1,
        });
        expect(answer.status).toBe(200);
      });
      expect(events).toHaveLength(1);
      expectEvent(events[0], { entity: "project", op: "upsert", id: project.id });
      expect(events[0]?.row).toMatchObject({ name: "After", version: 2 });

      const refused = await appendedBy(db(), async () => {
        const stale = await call(server, "PATCH", `/api/projects/${project.id}`, {
          name: "Stale",
          version: 1,
        });
        expectError(stale, 409, "version_conflict");
        expectError(
          await call(server, "PATCH", `/api/projects/${randomUUID()}`, { name: "X", version: 1 }),
          404,
          "not_found",
        );
        expectError(
          await call(server, "PATCH", `/api/projects/${project.id}`, { name: "", version: 2 }),
          400,
          "invalid_input",
        );
      });
      expect(refused).toEqual([]);
    });

    test("a delete appends one event, the project's, which stands for its messages and processes", async () => {
      const project = await createProject(server);
      await createMessage(server, project.id, { content: "One" });
      await createMessage(server, project.id, { content: "Two" });
      await readAll(await postChat(server, project.id, script("[tokens:2]")));

      let answer: Response | undefined;
      const events = await appendedBy(db(), async () => {
        answer = await server.app.request(`/api/projects/${project.id}`, {
          method: "DELETE",
          headers: { origin: OWN_ORIGIN },
        });
      });
      expect(answer?.status).toBe(200);
      expect(events).toEqual([
        { entity: "project", op: "delete", id: project.id, projectId: project.id, row: project },
      ]);
      expect(answer?.headers.get(FEED_POSITION_HEADER)).toBe(String(await readHead(db())));
      expect(await db().select().from(messages).where(eq(messages.projectId, project.id))).toEqual([]);
      expect(
        await db().select().from(runningProcesses).where(eq(runningProcesses.projectId, project.id)),
      ).toEqual([]);

      expect(
        await appendedBy(db(), async () =>
          expectError(await call(server, "DELETE", `/api/projects/${project.id}`), 404, "not_found"),
        ),
      ).toEqual([]);
    });

    test("a project of 14,000 messages is deleted with one event, and nothing of theirs is logged", async () => {
      const project = await createProject(server);
      await db().execute(sql`
        insert into messages (id, project_id, role, content, parts)
        select gen_random_uuid(), ${project.id}::uuid, 'user', 'Message ' || n, jsonb_build_array(jsonb_build_object('type', 'text', 'text', 'Message ' || n))
        from generate_series(1, 14000) as n`);
      const errors: unknown[] = [];
      const spy = vi.spyOn(log, "error").mockImplementation((...args: unknown[]) => void errors.push(args));
      try {
        const before = await readHead(db());
        const answer = await call(server, "DELETE", `/api/projects/${project.id}`);
        expect(answer.status).toBe(200);
        expect(await logAfter(db(), before)).toHaveLength(1);
        const page = await call(server, "GET", `/api/projects/${project.id}/messages`);
        expectError(page, 404, "not_found");
      } finally {
        spy.mockRestore();
      }
      expect(errors).toEqual([]);
    }, 60_000);
  });

  describe("messages", () => {
    test("a send appends the stored row; its retry, a conflict and an unknown project append nothing", async () => {
      const project = await createProject(server);
      const id = randomUUID();
      const events = await appendedBy(db(), async () => {
        const answer = await call(server, "POST", "/api/messages", {
          id,
          projectId: project.id,
          content: "Hello",
        });
        expect(answer.status).toBe(201);
      });
      const row = toMessage((await storedMessage(server, id)) ?? fail());
      expect(events).toEqual([{ entity: "message", op: "upsert", id, projectId: project.id, row }]);

      const refused = await appendedBy(db(), async () => {
        const retry = await call(server, "POST", "/api/messages", {
          id,
          projectId: project.id,
          content: "Hello",
        });
        expect(retry.status).toBe(200);
        const other = await call(server, "POST", "/api/messages", {
          id,
          projectId: project.id,
          content: "Bye",
        });
        expectError(other, 409, "duplicate_id");
        const nowhere = await call(server, "POST", "/api/messages", {
          id: randomUUID(),
          projectId: randomUUID(),
          content: "Hello?",
        });
        expectError(nowhere, 404, "not_found");
      });
      expect(refused).toEqual([]);
    });

    test("an edit appends the new row; a stale edit appends nothing", async () => {
      const project = await createProject(server);
      const message = await createMessage(server, project.id, { content: "Draft" });
      const events = await appendedBy(db(), async () => {
        const answer = await call(server, "PATCH", `/api/messages/${message.id}`, {
          content: "Final",
          version: 1,
        });
        expect(answer.status).toBe(200);
      });
      expect(events).toHaveLength(1);
      expectEvent(events[0], { entity: "message", op: "upsert", id: message.id });
      expect(events[0]?.row).toMatchObject({ content: "Final", version: 2 });
      expect(
        await appendedBy(db(), async () =>
          expectError(
            await call(server, "PATCH", `/api/messages/${message.id}`, { content: "Late", version: 1 }),
            409,
            "version_conflict",
          ),
        ),
      ).toEqual([]);
    });

    test("a delete appends the row as it was (and its reply's process); a second delete appends nothing", async () => {
      const project = await createProject(server);
      const message = await createMessage(server, project.id);
      const events = await appendedBy(db(), async () => {
        expect((await call(server, "DELETE", `/api/messages/${message.id}`)).status).toBe(200);
      });
      expect(events).toEqual([
        { entity: "message", op: "delete", id: message.id, projectId: project.id, row: message },
      ]);
      expect(
        await appendedBy(db(), async () =>
          expectError(await call(server, "DELETE", `/api/messages/${message.id}`), 404, "not_found"),
        ),
      ).toEqual([]);

      const reader = new SseReader(await postChat(server, project.id, script("[tokens:1]")));
      const replyId = await startOf(reader);
      await reader.rest();
      const [process] = await processesOf(server, replyId);
      const replyEvents = await appendedBy(db(), async () => {
        expect((await call(server, "DELETE", `/api/messages/${replyId}`)).status).toBe(200);
      });
      expect(eventNames(replyEvents)).toEqual([
        `running_process:delete:${process?.id}`,
        `message:delete:${replyId}`,
      ]);
    });
  });

  describe("the assistant", () => {
    test("a chat appends the user's message, the reply and its process, then each batch, then the end", async () => {
      const project = await createProject(server);
      const before = await readHead(db());
      const { feed } = await openFeedAtHead(server);
      // The model waits after three tokens until the feed has carried a batch of them, so
      // the reply has at least one batch however slow the machine is.
      const content = script("[pause:3] [tokens:6] [delay:10]");
      const userId = randomUUID();
      const reader = new SseReader(await postChat(server, project.id, { id: userId, content }));
      const replyId = await startOf(reader);

      // Live, the feed carries every batch as it is written.
      const live: ChangeEvent[] = [];
      const isBatch = (event: ChangeEvent | undefined) =>
        event?.entity === "message" && event.id === replyId && event.row.content !== "";
      const ended = (event: ChangeEvent | undefined) =>
        event?.entity === "message" && event.id === replyId && event.row.status === "complete";
      while (!isBatch(live.at(-1))) live.push((await feed.nextChange()).event);
      model.release(content);
      await reader.rest();
      while (!ended(live.at(-1))) live.push((await feed.nextChange()).event);
      await feed.close();
      const [process] = await processesOf(server, replyId);
      if (!process) throw new Error("No process");
      const stored = toMessage((await storedMessage(server, replyId)) ?? fail());
      expect(eventNames(live.slice(0, 3))).toEqual([
        `message:upsert:${userId}`,
        `message:upsert:${replyId}`,
        `running_process:upsert:${process.id}`,
      ]);
      expect(live[1]?.row).toMatchObject({ role: "assistant", status: "streaming", content: "", version: 1 });
      expect(live[2]?.row).toMatchObject({ status: "running", messageId: replyId });
      const batches = live.slice(3, -2);
      expect(batches.length).toBeGreaterThan(0);
      for (const batch of batches) expectEvent(batch, { entity: "message", op: "upsert", id: replyId });
      const versions = batches.map((batch) => (batch.entity === "message" ? batch.row.version : 0));
      expect(versions).toEqual(versions.map((_, i) => i + 2));
      expect(batches.every((batch) => batch.entity === "message" && batch.row.status === "streaming")).toBe(
        true,
      );
      expect(eventNames(live.slice(-2))).toEqual([
        `running_process:upsert:${process.id}`,
        `message:upsert:${replyId}`,
      ]);
      expect(live.at(-2)?.row).toEqual(toRunningProcess(process));
      expect(live.at(-1)?.row).toEqual(stored);
      expect(live.at(-1)?.row).toMatchObject({ status: "complete", content: scriptedText(6) });

      // Each batch's entry replaced the one before, and the end replaced the last: the log
      // holds the reply's text once, and a reader catching up from `before` ends the same.
      const events = (await logAfter(db(), before)).map(({ event }) => event);
      expect(events).toEqual([...live.slice(0, 3), ...live.slice(-2)]);

      // The same request again answers the same reply and writes nothing.
      const again = await appendedBy(db(), async () => {
        await readAll(await postChat(server, project.id, { id: userId, content }));
      });
      expect(again).toEqual([]);
    });

    test("a chat refused because a reply is running appends nothing", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:1]")));
      const replyId = await startOf(reader);
      // Its one token's flush is in the log before the refusal: what follows is the refusal's alone.
      // An empty text is a value to waitFor: wait for a non-empty one.
      await waitFor(
        "the first token stored",
        async () => (await storedMessage(server, replyId))?.content || undefined,
      );
      const refused = await appendedBy(db(), async () => {
        expectError(
          await call(server, "POST", "/api/chat", {
            projectId: project.id,
            message: { id: randomUUID(), content: "Me too" },
          }),
          409,
          "generation_running",
        );
      });
      expect(refused).toEqual([]);
      const stopped = await appendedBy(db(), async () => {
        expect((await chatPost(server, `/api/chat/${replyId}/stop`)).status).toBe(200);
      });
      const [process] = await processesOf(server, replyId);
      expect(eventNames(stopped).slice(-2)).toEqual([
        `running_process:upsert:${process?.id}`,
        `message:upsert:${replyId}`,
      ]);
      expect(stopped.at(-1)?.row).toMatchObject({ status: "stopped" });
      await reader.rest();
    });

    test("a retry appends the reset reply and a new process, then its batches and end", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[tokens:2]")));
      const replyId = await startOf(reader);
      await reader.rest();
      const before = await readHead(db());
      await readAll(await chatPost(server, `/api/chat/${replyId}/retry`));
      const events = (await logAfter(db(), before)).map(({ event }) => event);
      const processes = await processesOf(server, replyId);
      const second = processes.at(-1);
      expect(eventNames(events.slice(0, 2))).toEqual([
        `message:upsert:${replyId}`,
        `running_process:upsert:${second?.id}`,
      ]);
      expect(events[0]?.row).toMatchObject({ status: "streaming", content: "" });
      expect(events.at(-1)?.row).toMatchObject({ status: "complete", content: scriptedText(2) });

      const refused = await appendedBy(db(), async () => {
        const user = (await logAfter(db(), 0n)).find(
          ({ event }) =>
            event.entity === "message" && event.projectId === project.id && event.row.role === "user",
        );
        expectError(await call(server, "POST", `/api/chat/${user?.event.id}/retry`), 400, "invalid_input");
      });
      expect(refused).toEqual([]);
    });

    test("stop from another instance appends the stopped process and message; the owner then its fuller text", async () => {
      const other = new Assistant(server.handle, { model, heartbeatMs: 50, feed: server.feed });
      const elsewhere = { app: createApp({ db: server.handle, feed: server.feed, assistant: other }) };
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:2]")));
      const replyId = await startOf(reader);
      await reader.until((chunk) => chunk.type === "text-delta");
      // Both tokens' flush is in the log before the stop: what follows is the stop's alone.
      await waitFor("both tokens stored", async () =>
        (await storedMessage(server, replyId))?.content.includes("word2") ? true : undefined,
      );
      const before = await readHead(db());
      const answer = await call(elsewhere, "POST", `/api/chat/${replyId}/stop`);
      expect(answer.status).toBe(200);
      const stopped = (await logAfter(db(), before)).map(({ event }) => event);
      const [process] = await processesOf(server, replyId);
      expect(eventNames(stopped)).toEqual([
        `running_process:upsert:${process?.id}`,
        `message:upsert:${replyId}`,
      ]);
      expect(stopped[0]?.row).toMatchObject({ status: "stopped" });
      expect(stopped[1]?.row).toEqual(messageSchema.parse(answer.body));
      await reader.rest();
      const last = (await logAfter(db(), before)).at(-1)?.event;
      expect(last?.row).toEqual(toMessage((await storedMessage(server, replyId)) ?? fail()));
      await other.shutdown();
    });

    test("the sweeper appends what it interrupts; a sweep that finds nothing appends nothing", async () => {
      const project = await createProject(server);
      const reader = new SseReader(await postChat(server, project.id, script("[hang:1]")));
      const replyId = await startOf(reader);
      await reader.until((chunk) => chunk.type === "text-delta");
      // The token's flush is in the log before the sweep: what follows is the sweep's alone.
      // An empty text is a value to waitFor: wait for a non-empty one.
      await waitFor(
        "the first token stored",
        async () => (await storedMessage(server, replyId))?.content || undefined,
      );
      const before = await readHead(db());
      // The owner beats every 50 ms: on a loaded machine a beat can land between aging the
      // heartbeat and the sweep, which then rightly finds nothing (and appends nothing).
      const interrupted = await waitFor("a sweep right after the heartbeat aged", async () => {
        await db()
          .update(runningProcesses)
          .set({ heartbeatAt: sql`now() - interval '1 hour'` })
          .where(eq(runningProcesses.messageId, replyId));
        const found = await interruptStale(db(), undefined, { staleMs: 60_000 });
        return found.length > 0 && found;
      });
      expect(interrupted).toEqual([replyId]);
      const logged = (await logAfter(db(), before)).map(({ event }) => event);
      const swept = logged.filter((event) => event.row.status === "interrupted");
      const [process] = await processesOf(server, replyId);
      expect(eventNames(swept)).toEqual([
        `running_process:upsert:${process?.id}`,
        `message:upsert:${replyId}`,
      ]);
      // Anything else is the owner's own write to its reply: on a slow machine its
      // heartbeat can notice the sweep and let go before the log is read here.
      const others = logged.filter((event) => !swept.includes(event));
      expect(others.every((event) => event.entity === "message" && event.id === replyId)).toBe(true);
      await reader.rest();
      await waitFor("the owner to let go", () => server.assistant.generation(replyId) === undefined);

      expect(await appendedBy(db(), () => interruptStale(db(), undefined, { staleMs: 60_000 }))).toEqual([]);
    });
  });

  test("snapshots carry the position they were read at", async () => {
    const project = await createProject(server);
    await createMessage(server, project.id);
    const head = String(await readHead(db()));
    const projects = await server.app.request("/api/projects");
    expect(projects.headers.get(FEED_POSITION_HEADER)).toBe(head);
    const messages = await server.app.request(`/api/projects/${project.id}/messages`);
    expect(messages.headers.get(FEED_POSITION_HEADER)).toBe(head);
  });
});

function fail(): never {
  throw new Error("Expected a row");
}
