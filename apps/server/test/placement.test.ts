import { randomBytes, randomUUID } from "node:crypto";
import { type Message, messageListSchema, messageSchema } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { backends, type TestServer, useTestServer } from "./backends.ts";
import { storedMessage, waitFor } from "./chat.ts";
import { answerOf, call, createMessage, createProject, expectError, OWN_ORIGIN } from "./http.ts";
import { useScriptedModel } from "./model.ts";
import { readAll } from "./sse.ts";

/**
 * Where a send goes. Only an edit (`edits`) makes a version; a plain send that names a
 * parent others have gone on from, or names none, goes at the end of that branch, one
 * after the other however many arrive at once.
 */

const says = (what: string, tokens = 2) => `${what} [tokens:${tokens}] #${randomBytes(4).toString("hex")}`;

function postChat(server: TestServer, body: unknown) {
  return server.app.request("/api/chat", {
    method: "POST",
    headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function messagesOf(server: TestServer, projectId: string): Promise<Message[]> {
  const answer = await call(server, "GET", `/api/projects/${projectId}/messages`);
  expect(answer.status).toBe(200);
  return messageListSchema.parse(answer.body);
}

/** Sends `content` after `parentId` and reads its reply to the end; answers [user message, reply]. */
async function turn(server: TestServer, projectId: string, content: string, parentId?: string | null) {
  const id = randomUUID();
  await readAll(await postChat(server, { projectId, message: { id, parentId, content } }));
  const rows = await messagesOf(server, projectId);
  const user = rows.find((row) => row.id === id);
  const reply = rows.find((row) => row.parentId === id);
  if (!user || !reply) throw new Error("The turn was not stored");
  return [user, reply] as const;
}

/** The project's messages as one line from its first: fails if any message has a sibling. */
async function line(server: TestServer, projectId: string): Promise<Message[]> {
  const rows = await messagesOf(server, projectId);
  const children = new Map<string | null, Message[]>();
  for (const row of rows) children.set(row.parentId, [...(children.get(row.parentId) ?? []), row]);
  expect([...children.values()].filter((siblings) => siblings.length > 1)).toEqual([]);
  const ordered: Message[] = [];
  for (let next = children.get(null)?.[0]; next; next = children.get(next.id)?.[0]) ordered.push(next);
  expect(ordered).toHaveLength(rows.length);
  return ordered;
}

/** Every message of the project is stored later than its parent (microseconds, as stored). */
async function childrenAfterParents(server: TestServer, projectId: string) {
  const result = await server.handle.db.execute(
    sql`select count(*)::int as early from messages c join messages p on p.id = c.parent_id where c.project_id = ${projectId} and c.created_at <= p.created_at`,
  );
  const rows = Array.isArray(result) ? result : (result as { rows: unknown[] }).rows;
  expect(rows).toEqual([{ early: 0 }]);
}

describe.each(backends)("where a send goes, on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, { assistant: { model, flushMs: 40, heartbeatMs: 50 } });

  test("8 messages posted at once naming no parent make one line, each after the one before", async () => {
    const project = await createProject(server);
    const first = await createMessage(server, project.id, { content: "Before them" });
    const contents = Array.from({ length: 8 }, (_, i) => `At once #${i}`);
    const answers = await Promise.all(
      contents.map((content) =>
        call(server, "POST", "/api/messages", { id: randomUUID(), projectId: project.id, content }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(contents.map(() => 201));

    const ordered = await line(server, project.id);
    expect(ordered[0]?.id).toBe(first.id);
    expect(
      ordered
        .slice(1)
        .map((row) => row.content)
        .sort(),
    ).toEqual(contents.sort());
    // Each answer is the row as stored, with the parent it got.
    for (const answer of answers) {
      const row = messageSchema.parse(answer.body);
      expect(ordered.find((stored) => stored.id === row.id)).toEqual(row);
    }
    await childrenAfterParents(server, project.id);
  });

  test("messages posted at once naming the same parent go one after the other", async () => {
    const project = await createProject(server);
    const [, reply] = await turn(server, project.id, says("Start"), null);
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        call(server, "POST", "/api/messages", {
          id: randomUUID(),
          projectId: project.id,
          parentId: reply.id,
          content: `Same parent #${i}`,
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    const ordered = await line(server, project.id);
    expect(
      ordered
        .map((row) => row.content)
        .slice(2)
        .sort(),
    ).toEqual(["#0", "#1", "#2", "#3"].map((n) => `Same parent ${n}`));
    await childrenAfterParents(server, project.id);
  });

  test("two chat sends naming the same parent at once: one is answered, the other goes after that answer", async () => {
    const project = await createProject(server);
    const [, reply] = await turn(server, project.id, says("Start"), null);
    // Each reply waits at its first token until released: the winner's is still running
    // when the other send, which waited for the project's tree lock, checks (a 2-token
    // reply once ended before that, under load, and both were answered).
    const bodies = [says("Mine"), says("Yours")].map((content) => ({
      projectId: project.id,
      message: { id: randomUUID(), parentId: reply.id, content: `${content} [pause:1]` },
    }));
    /** Lets the paused reply to `text` go on, once the model has been asked for it. */
    const release = async (text: string) => {
      await waitFor(`the model asked for "${text}"`, () => model.callsFor(text) > 0);
      model.release(text);
    };
    const responses = await Promise.all(bodies.map((body) => postChat(server, body)));
    // One reply at a time in a project: the other is told to wait, and nothing of it is stored.
    expect(responses.map((response) => response.status).sort()).toEqual([200, 409]);
    const winner = responses.findIndex((response) => response.status === 200);
    const [first, second] = winner === 0 ? bodies : [bodies[1], bodies[0]];
    if (!first || !second) throw new Error("unreachable");
    expectError(await answerOf(responses[1 - winner] as Response), 409, "generation_running");
    expect(await storedMessage(server, second.message.id)).toBeUndefined();
    await release(first.message.content);
    await readAll(responses[winner] as Response);

    // Sent again (as the browser's outbox does), still naming the parent both saw.
    const [again] = await Promise.all([postChat(server, second), release(second.message.content)]);
    await readAll(again);
    const ordered = await line(server, project.id);
    expect(ordered.map((row) => [row.role, row.content])).toEqual([
      ["user", expect.any(String)],
      ["assistant", reply.content],
      ["user", first.message.content],
      ["assistant", expect.any(String)],
      ["user", second.message.content],
      ["assistant", expect.any(String)],
    ]);
    // Its reply is asked the whole line, the first send and its answer included.
    expect(
      model
        .promptFor(second.message.content)
        .slice(1)
        .map(([role]) => role),
    ).toEqual(["user", "assistant", "user", "assistant", "user"]);
    await childrenAfterParents(server, project.id);
  });

  test("a stale send (queued offline while others went on) goes at the end of its branch", async () => {
    const project = await createProject(server);
    const [question, answer] = await turn(server, project.id, says("Q1"), null);
    const [, later] = await turn(server, project.id, says("Q2"), answer.id);
    const [, latest] = await turn(server, project.id, says("Q3"), later.id);

    // Named the answer, or the question, or nothing before the first message: all went on since.
    for (const parentId of [answer.id, question.id, null]) {
      const [stale, staleReply] = await turn(server, project.id, says("Stale"), parentId);
      expect(stale.parentId).toBe((await line(server, project.id)).at(-3)?.id);
      expect(stale.parentId).not.toBe(parentId);
      expect(staleReply.parentId).toBe(stale.id);
    }
    const ordered = await line(server, project.id);
    expect(ordered[5]?.id).toBe(latest.id);
    expect(ordered).toHaveLength(12);
    await childrenAfterParents(server, project.id);
  });

  test("a stale send follows the newest version of the turn it named, down to the end of that branch", async () => {
    const project = await createProject(server);
    const [question, firstAnswer] = await turn(server, project.id, says("Q"), null);
    await readAll(
      await postChat(server, {
        projectId: project.id,
        regenerate: { id: randomUUID(), parentId: question.id },
      }),
    );
    const rows = await messagesOf(server, project.id);
    const newest = rows.find((row) => row.parentId === question.id && row.id !== firstAnswer.id);
    const [stale] = await turn(server, project.id, says("After Q"), question.id);
    expect(stale.parentId).toBe(newest?.id);

    // Naming the older version itself: nothing follows it, so it goes right there.
    const [onOld] = await turn(server, project.id, says("After the first answer"), firstAnswer.id);
    expect(onOld.parentId).toBe(firstAnswer.id);
  });

  test("a retry of a send that was moved answers the stored row; naming a parent off its branch is 409", async () => {
    const project = await createProject(server);
    const [, answer] = await turn(server, project.id, says("Q1"), null);
    const [, later] = await turn(server, project.id, says("Q2"), answer.id);
    const body = { id: randomUUID(), projectId: project.id, parentId: answer.id, content: "Moved" };
    const first = await call(server, "POST", "/api/messages", body);
    expect(first.status).toBe(201);
    expect(messageSchema.parse(first.body).parentId).toBe(later.id);
    await createMessage(server, project.id, { content: "Someone after it" });

    expect(await call(server, "POST", "/api/messages", body)).toEqual({ status: 200, body: first.body });
    expect(await call(server, "POST", "/api/messages", { ...body, parentId: later.id })).toEqual({
      status: 200,
      body: first.body,
    });

    const [other] = await turn(server, project.id, says("Later still"), null);
    const off = await call(server, "POST", "/api/messages", { ...body, parentId: other.id });
    expect(expectError(off, 409, "duplicate_id").current).toEqual(first.body);
    expect(await storedMessage(server, body.id)).toMatchObject({ parentId: later.id, version: 1 });
  });

  test("a send and a delete of the message it follows, at once: it lands before the delete (and goes with it) or is 400", async () => {
    const project = await createProject(server);
    for (let round = 0; round < 4; round++) {
      const last = await createMessage(server, project.id, { content: `Last #${round}` });
      const id = randomUUID();
      const [sent, deleted] = await Promise.all([
        call(server, "POST", "/api/messages", {
          id,
          projectId: project.id,
          parentId: last.id,
          content: "After",
        }),
        server.app.request(`/api/messages/${last.id}`, { method: "DELETE", headers: { origin: OWN_ORIGIN } }),
      ]);
      expect(deleted.status).toBe(200);
      if (sent.status === 201) expect(messageSchema.parse(sent.body).parentId).toBe(last.id);
      else expect(expectError(sent, 400, "invalid_input").details?.[0]?.path).toBe("parentId");
      expect(await storedMessage(server, id)).toBeUndefined();
    }
    expect(await messagesOf(server, project.id)).toEqual([]);
  });

  test("a retry of an edit answers the stored version; the same id sent as an edit of another message is 409", async () => {
    const project = await createProject(server);
    const [a, aReply] = await turn(server, project.id, says("A"), null);
    const [b] = await turn(server, project.id, says("B"), aReply.id);
    const body = { id: randomUUID(), projectId: project.id, edits: b.id, content: "B, edited" };
    const first = await call(server, "POST", "/api/messages", body);
    expect(first.status).toBe(201);
    expect(messageSchema.parse(first.body).parentId).toBe(aReply.id);
    expect(await call(server, "POST", "/api/messages", body)).toEqual({ status: 200, body: first.body });
    expectError(await call(server, "POST", "/api/messages", { ...body, edits: a.id }), 409, "duplicate_id");
  });
});
