import { randomBytes, randomUUID } from "node:crypto";
import { type Message, messageListSchema } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { backends, type TestServer, useTestServer } from "./backends.ts";
import { projectMessages, storedMessage } from "./chat.ts";
import { call, client, createMessage, createProject, expectError, expectInvalid } from "./http.ts";
import { scriptedText, useScriptedModel } from "./model.ts";
import { REPLY_SHAPE, readAll, shape } from "./sse.ts";

/** A user message the scripted model answers with `tokens` words, tagged so no two tests share it. */
const says = (what: string, tokens = 3) => `${what} [tokens:${tokens}] #${randomBytes(4).toString("hex")}`;

/** POST /api/chat with a raw body; reads the stream to its end (the reply is then stored). */
async function chat(server: TestServer, body: unknown) {
  const response = await server.app.request("/api/chat", {
    method: "POST",
    headers: { origin: "http://localhost", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return readAll(response);
}

async function messagesOf(server: TestServer, projectId: string): Promise<Message[]> {
  const answer = await call(server, "GET", `/api/projects/${projectId}/messages`);
  expect(answer.status).toBe(200);
  return messageListSchema.parse(answer.body);
}

/**
 * Sends `content` after `parentId` (or, given `{ edits }`, as a new version of that
 * message) and waits for its reply; answers [user message, reply].
 */
async function turn(
  server: TestServer,
  projectId: string,
  content: string,
  where: string | null | { edits: string },
) {
  const id = randomUUID();
  const placement = typeof where === "object" && where !== null ? where : { parentId: where };
  await chat(server, { projectId, message: { id, ...placement, content } });
  const rows = await messagesOf(server, projectId);
  const user = rows.find((row) => row.id === id);
  const reply = rows.find((row) => row.parentId === id && row.role === "assistant");
  if (!user || !reply) throw new Error("The turn was not stored");
  expect(reply.status).toBe("complete");
  return [user, reply] as const;
}

describe.each(backends)("versions on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, { assistant: { model, flushMs: 40, heartbeatMs: 50 } });

  test("every message names its parent: a reply its user message, a user message the reply before it", async () => {
    const project = await createProject(server);
    const [first, firstReply] = await turn(server, project.id, says("First"), null);
    const [second, secondReply] = await turn(server, project.id, says("Second"), firstReply.id);
    expect(first.parentId).toBeNull();
    expect(firstReply.parentId).toBe(first.id);
    expect(second.parentId).toBe(firstReply.id);
    expect(secondReply.parentId).toBe(second.id);
  });

  test("a message that names no parent follows the project's newest message", async () => {
    const project = await createProject(server);
    const [, reply] = await turn(server, project.id, says("First"), null);
    const plain = await createMessage(server, project.id, { content: "No parent named" });
    expect(plain.parentId).toBe(reply.id);
  });

  test("a message sent after an unanswered one follows its answer, once there is one", async () => {
    const quiet = await createProject(server);
    const unanswered = await createMessage(server, quiet.id, { parentId: null });
    const next = await createMessage(server, quiet.id, { parentId: unanswered.id });
    expect(next.parentId).toBe(unanswered.id);

    const project = await createProject(server);
    const [question, answer] = await turn(server, project.id, says("Answered"), null);
    const after = says("After");
    const [late] = await turn(server, project.id, after, question.id);
    expect(late.parentId).toBe(answer.id);
    expect(model.promptFor(after).slice(1)).toEqual([
      ["user", question.content],
      ["assistant", answer.content],
      ["user", after],
    ]);
  });

  test("regenerate adds a reply beside the first, and the model is asked the same branch", async () => {
    const project = await createProject(server);
    const question = says("Question");
    const [user, firstReply] = await turn(server, project.id, question, null);
    const id = randomUUID();

    const chunks = await chat(server, { projectId: project.id, regenerate: { id, parentId: user.id } });

    // No user message this time: the stream is the new reply's alone.
    expect(shape(chunks)).toEqual(REPLY_SHAPE);
    expect(chunks[0]).toEqual({ type: "start", messageId: id });
    const rows = await messagesOf(server, project.id);
    expect(rows.map((row) => [row.id, row.parentId, row.role])).toEqual([
      [user.id, null, "user"],
      [firstReply.id, user.id, "assistant"],
      [id, user.id, "assistant"],
    ]);
    expect(rows[1]).toEqual(firstReply);
    expect(rows[2]).toMatchObject({ status: "complete", content: scriptedText(3) });
    expect(model.callsFor(question)).toBe(2);
    expect(model.promptFor(question).slice(1)).toEqual([["user", question]]);
  });

  test("regenerate is idempotent on the new reply's id; the id taken by another message is 409", async () => {
    const project = await createProject(server);
    const question = says("Again");
    const [user] = await turn(server, project.id, question, null);
    const body = { projectId: project.id, regenerate: { id: randomUUID(), parentId: user.id } };
    const first = await chat(server, body);
    const again = await chat(server, body);

    expect(again.at(-2)).toEqual(first.at(-2));
    expect(await messagesOf(server, project.id)).toHaveLength(3);
    expect(model.callsFor(question)).toBe(2);

    const taken = await call(server, "POST", "/api/chat", {
      projectId: project.id,
      regenerate: { id: user.id, parentId: user.id },
    });
    expect(expectError(taken, 409, "duplicate_id").current).toMatchObject({ id: user.id });
  });

  test("an edit (edits) goes beside the edited message; each reply is asked its own branch only", async () => {
    const project = await createProject(server);
    const [a, aReply] = await turn(server, project.id, says("A"), null);
    const b = says("B");
    const [bUser, bReply] = await turn(server, project.id, b, aReply.id);
    const edited = says("B, said better");

    const [bEdited, bEditedReply] = await turn(server, project.id, edited, { edits: bUser.id });
    expect(bEdited.parentId).toBe(aReply.id);
    expect(bEditedReply.parentId).toBe(bEdited.id);
    expect(model.promptFor(edited).slice(1)).toEqual([
      ["user", a.content],
      ["assistant", aReply.content],
      ["user", edited],
    ]);
    // The first version and its reply are kept as they were.
    expect(await storedMessage(server, bUser.id)).toMatchObject({ content: b, parentId: aReply.id });
    expect(await storedMessage(server, bReply.id)).toMatchObject({ parentId: bUser.id, status: "complete" });

    // Going on from the first version: the model sees that branch, not the edit.
    const after = says("C");
    await turn(server, project.id, after, bReply.id);
    expect(model.promptFor(after).slice(1)).toEqual([
      ["user", a.content],
      ["assistant", aReply.content],
      ["user", b],
      ["assistant", bReply.content],
      ["user", after],
    ]);
  });

  test("an edit naming the edited message's own parent is the same edit", async () => {
    const project = await createProject(server);
    const [, aReply] = await turn(server, project.id, says("A"), null);
    const [b] = await turn(server, project.id, says("B"), aReply.id);
    // As a plain send, a parent already followed would send it to the end of the branch.
    const edited = says("B, edited");
    const id = randomUUID();
    await chat(server, {
      projectId: project.id,
      message: { id, edits: b.id, parentId: aReply.id, content: edited },
    });
    expect(await storedMessage(server, id)).toMatchObject({ parentId: aReply.id, content: edited });
  });

  test("editing the first message starts a second root: its reply is asked that message alone", async () => {
    const project = await createProject(server);
    const [original] = await turn(server, project.id, says("Original"), null);
    const edited = says("Original, edited");
    const [root] = await turn(server, project.id, edited, { edits: original.id });
    expect(root.parentId).toBeNull();
    expect(model.promptFor(edited).slice(1)).toEqual([["user", edited]]);
  });

  test("retry after a new version answers the regenerated reply's history from its branch", async () => {
    const project = await createProject(server);
    const question = says("Retry me");
    const [user, reply] = await turn(server, project.id, question, null);
    await turn(server, project.id, says("Another branch"), { edits: user.id });
    const response = await server.app.request(`/api/chat/${reply.id}/retry`, {
      method: "POST",
      headers: { origin: "http://localhost" },
    });
    await readAll(response);
    expect(model.promptFor(question).slice(1)).toEqual([["user", user.content]]);
  });

  describe("bad parents are 400 invalid_input, and nothing is written", () => {
    test("a message's parent that is no message, or another project's", async () => {
      const project = await createProject(server);
      const other = await createProject(server);
      const elsewhere = await createMessage(server, other.id);
      for (const parentId of [randomUUID(), elsewhere.id]) {
        const id = randomUUID();
        const answer = await call(server, "POST", "/api/chat", {
          projectId: project.id,
          message: { id, parentId, content: "Orphan" },
        });
        expectInvalid(answer, ["message.parentId"]);
        expect(await storedMessage(server, id)).toBeUndefined();
      }
      const posted = await call(server, "POST", "/api/messages", {
        id: randomUUID(),
        projectId: project.id,
        parentId: elsewhere.id,
        content: "Orphan",
      });
      expectInvalid(posted, ["parentId"]);
      expect(await projectMessages(server, project.id)).toEqual([]);
    });

    test("an edit of no message, another project's, a reply or itself, or naming another parent", async () => {
      const project = await createProject(server);
      const [first, firstReply] = await turn(server, project.id, says("First"), null);
      const [second] = await turn(server, project.id, says("Second"), firstReply.id);
      const elsewhere = await createMessage(server, (await createProject(server)).id);
      const before = await messagesOf(server, project.id);
      const id = randomUUID();
      const bad: Array<
        [placement: { edits: string; parentId?: string | null }, field: string, says: RegExp]
      > = [
        [{ edits: randomUUID() }, "edits", /not a message of this project/],
        [{ edits: elsewhere.id }, "edits", /not a message of this project/],
        [{ edits: firstReply.id }, "edits", /not a user message/],
        [{ edits: id }, "edits", /another message than/],
        [{ edits: second.id, parentId: first.id }, "parentId", /edited message's parent/],
        [{ edits: second.id, parentId: null }, "parentId", /edited message's parent/],
        [{ edits: first.id, parentId: firstReply.id }, "parentId", /edited message's parent/],
      ];
      for (const [placement, field, why] of bad) {
        const answer = await call(server, "POST", "/api/chat", {
          projectId: project.id,
          message: { id, ...placement, content: "Edited" },
        });
        expect(expectInvalid(answer, [`message.${field}`]).details?.[0]?.message).toMatch(why);
        const posted = await call(server, "POST", "/api/messages", {
          id,
          projectId: project.id,
          ...placement,
          content: "Edited",
        });
        expect(expectInvalid(posted, [field]).details?.[0]?.message).toMatch(why);
      }
      expect(await messagesOf(server, project.id)).toEqual(before);
      expect(model.callsFor("Edited")).toBe(0);
    });

    test("a regenerate whose parent is a reply, no message, or another project's", async () => {
      const project = await createProject(server);
      const [, reply] = await turn(server, project.id, says("Answered"), null);
      const other = await createProject(server);
      const elsewhere = await createMessage(server, other.id);
      for (const parentId of [reply.id, randomUUID(), elsewhere.id]) {
        const answer = await call(server, "POST", "/api/chat", {
          projectId: project.id,
          regenerate: { id: randomUUID(), parentId },
        });
        expectInvalid(answer, ["regenerate.parentId"]);
      }
      expect(await messagesOf(server, project.id)).toHaveLength(2);
    });

    test("a request with both a message and a regenerate, or neither", async () => {
      const project = await createProject(server);
      const message = await createMessage(server, project.id);
      for (const body of [
        { projectId: project.id },
        {
          projectId: project.id,
          message: { id: randomUUID(), content: "Hi" },
          regenerate: { id: randomUUID(), parentId: message.id },
        },
      ]) {
        expectError(await call(server, "POST", "/api/chat", body), 400, "invalid_input");
      }
      expect(await messagesOf(server, project.id)).toHaveLength(1);
    });

    test("a regenerate in an unknown project is 404", async () => {
      const answer = await call(server, "POST", "/api/chat", {
        projectId: randomUUID(),
        regenerate: { id: randomUUID(), parentId: randomUUID() },
      });
      expectError(answer, 404, "not_found");
    });
  });

  test("deleting a message deletes the versions and replies below it", async () => {
    const project = await createProject(server);
    const [, aReply] = await turn(server, project.id, says("Keep"), null);
    const [b] = await turn(server, project.id, says("Drop"), aReply.id);
    await chat(server, { projectId: project.id, regenerate: { id: randomUUID(), parentId: b.id } });

    const answer = await client(server).messages[":id"].$delete({ param: { id: b.id } });
    expect(answer.status).toBe(200);
    expect((await messagesOf(server, project.id)).map((row) => row.id)).toEqual([aReply.parentId, aReply.id]);
  });
});
