import { randomUUID } from "node:crypto";
import { type SearchHit, type SearchResult, searchResultSchema, snippetParts } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { signUp } from "./accounts.ts";
import { backends, useTestServer } from "./backends.ts";
import { postChat, projectMessages, waitFor } from "./chat.ts";
import { call, createMessage, createProject, expectInvalid, type WithApp } from "./http.ts";
import { useScriptedModel } from "./model.ts";
import { readAll } from "./sse.ts";

/** A word no other test uses: every test searches its own rows in the shared database. */
const marker = () =>
  `zq${randomUUID()
    .replace(/[^a-f]/g, "")
    .slice(0, 10)}`;

async function search(server: WithApp, query: Record<string, string | number>): Promise<SearchResult> {
  const params = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  const answer = await call(server, "GET", `/api/search?${params}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return searchResultSchema.parse(answer.body);
}

const texts = (hits: SearchHit[]) =>
  hits.map((hit) =>
    snippetParts(hit.snippet)
      .map((p) => p.text)
      .join(""),
  );

describe.each(backends)("search on %s", (kind) => {
  const server = useTestServer(kind);

  test('stemming: "fox jump" finds "foxes were jumping", and only messages with both words', async () => {
    const word = marker();
    const project = await createProject(server, { name: "Wildlife" });
    const hit = await createMessage(server, project.id, { content: `The foxes were jumping ${word}` });
    await createMessage(server, project.id, { content: `A fox sleeps ${word}` });

    const { hits, nextCursor } = await search(server, { q: `fox jump ${word}` });

    expect(hits).toEqual([
      {
        kind: "message",
        projectId: project.id,
        projectName: "Wildlife",
        messageId: hit.id,
        role: "user",
        createdAt: hit.createdAt,
        snippet: `The <mark>foxes</mark> were <mark>jumping</mark> <mark>${word}</mark>`,
      },
    ]);
    expect(nextCursor).toBeNull();
  });

  test("ranking: the message that says it more often comes first, whatever its age", async () => {
    const word = marker();
    const project = await createProject(server);
    const often = await createMessage(server, project.id, { content: `deploy deploy deploy ${word}` });
    const once = await createMessage(server, project.id, { content: `deploy ${word} and other things` });

    const { hits } = await search(server, { q: `deploying ${word}` });

    expect(hits.map((h) => h.messageId)).toEqual([often.id, once.id]);
  });

  test("equal ranks: newest first", async () => {
    const word = marker();
    const project = await createProject(server);
    const older = await createMessage(server, project.id, { content: `notes ${word}` });
    const newer = await createMessage(server, project.id, { content: `notes ${word}` });

    const { hits } = await search(server, { q: word });

    expect(hits.map((h) => h.messageId)).toEqual([newer.id, older.id]);
  });

  test("project names are searched too, and come before messages", async () => {
    const word = marker();
    const project = await createProject(server, { name: `Quarterly ${word} roadmap` });
    const message = await createMessage(server, project.id, { content: `the roadmaps for ${word}` });

    const { hits } = await search(server, { q: `roadmap ${word}` });

    expect(hits).toEqual([
      {
        kind: "project",
        projectId: project.id,
        projectName: `Quarterly ${word} roadmap`,
        messageId: null,
        role: null,
        createdAt: project.createdAt,
        snippet: `Quarterly <mark>${word}</mark> <mark>roadmap</mark>`,
      },
      expect.objectContaining({ kind: "message", messageId: message.id, projectId: project.id }),
    ]);
  });

  test("an edited message is found by its new text, not its old", async () => {
    const word = marker();
    const other = marker();
    const project = await createProject(server);
    const message = await createMessage(server, project.id, { content: `draft ${word}` });
    const edited = await call(server, "PATCH", `/api/messages/${message.id}`, {
      content: `final ${other}`,
      version: message.version,
    });
    expect(edited.status).toBe(200);

    expect((await search(server, { q: word })).hits).toEqual([]);
    expect((await search(server, { q: other })).hits.map((h) => h.messageId)).toEqual([message.id]);
  });

  test("a renamed project is found by its new name", async () => {
    const word = marker();
    const project = await createProject(server, { name: "Old name" });
    const renamed = await call(server, "PATCH", `/api/projects/${project.id}`, {
      name: `Launch ${word}`,
      version: project.version,
    });
    expect(renamed.status).toBe(200);

    const { hits } = await search(server, { q: word });

    expect(hits.map((h) => [h.kind, h.projectName])).toEqual([["project", `Launch ${word}`]]);
  });

  test("snippets: only the marks are markup; the message's own HTML is escaped", async () => {
    const word = marker();
    const project = await createProject(server, { name: `<img src=x onerror=alert(1)> & co` });
    const content = `Look: <mark>fake</mark> <script>alert("x")</script> ${word}'s & <b>more</b>`;
    await createMessage(server, project.id, { content });

    const { hits } = await search(server, { q: word });

    expect(hits).toHaveLength(1);
    const [hit] = hits as [SearchHit];
    // Nothing but <mark> and </mark> is a tag.
    expect(hit.snippet.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
    expect(hit.snippet).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(hit.snippet).toContain("&lt;mark&gt;fake&lt;/mark&gt;");
    expect(hit.snippet).toContain(`<mark>${word}</mark>&#39;s`);
    expect(snippetParts(hit.snippet).filter((p) => p.marked)).toEqual([{ text: word, marked: true }]);
    expect(texts(hits)).toEqual([content]);
    // The project's name is the wire's plain text (the client escapes it when it shows it).
    expect(hit.projectName).toBe(`<img src=x onerror=alert(1)> & co`);
  });

  test("a long message's snippet is a few fragments around the matches", async () => {
    const word = marker();
    const project = await createProject(server);
    const filler = (n: number) => Array.from({ length: n }, (_, i) => `filler${i % 7}`).join(" ");
    await createMessage(server, project.id, {
      content: `${filler(400)} the ${word} appears here ${filler(400)} and ${word} again ${filler(400)}`,
    });

    const { hits } = await search(server, { q: word });

    const [hit] = hits as [SearchHit];
    expect(hit.snippet.length).toBeLessThan(600);
    expect(snippetParts(hit.snippet).filter((p) => p.marked)).toHaveLength(2);
  });

  test("cursors page through every hit once, even when a hit is added between pages", async () => {
    const word = marker();
    const project = await createProject(server);
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await createMessage(server, project.id, { content: `${word} #${i}` })).id);

    const first = await search(server, { q: word, limit: 2 });
    expect(first.hits).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    // Newer than everything: it sorts before the cursor, so no later page shows it.
    await createMessage(server, project.id, { content: `${word} late` });
    const second = await search(server, { q: word, limit: 2, cursor: first.nextCursor ?? "" });
    const third = await search(server, { q: word, limit: 2, cursor: second.nextCursor ?? "" });

    expect(third.nextCursor).toBeNull();
    const seen = [...first.hits, ...second.hits, ...third.hits].map((h) => h.messageId);
    expect(seen).toEqual([...made].reverse());
  });

  test("cursors cross from project hits to message hits", async () => {
    const word = marker();
    const projectA = await createProject(server, { name: `${word} one` });
    const projectB = await createProject(server, { name: `${word} two` });
    const message = await createMessage(server, projectA.id, { content: `${word} in a message` });

    const first = await search(server, { q: word, limit: 2 });
    const second = await search(server, { q: word, limit: 2, cursor: first.nextCursor ?? "" });

    expect(first.hits.map((h) => [h.kind, h.projectId])).toEqual([
      ["project", projectB.id],
      ["project", projectA.id],
    ]);
    expect(second.hits.map((h) => [h.kind, h.messageId])).toEqual([["message", message.id]]);
    expect(second.nextCursor).toBeNull();
  });

  test("a search that matches nothing: 200 with no hits", async () => {
    const { hits, nextCursor } = await search(server, { q: marker() });
    expect(hits).toEqual([]);
    expect(nextCursor).toBeNull();
  });

  const badQueries: Array<[string, string, string[]]> = [
    ["no q", "", ["q"]],
    ["an empty q", "q=", ["q"]],
    ["a q of spaces", "q=%20%20%20", ["q"]],
    ["a q over 200 characters", `q=${"a".repeat(201)}`, ["q"]],
    ["a q with a NUL", "q=plan%00", ["q"]],
    ["a q of only symbols and operators", `q=${encodeURIComponent("\"&|!:*() ' -or")}`, ["q"]],
    ["a q of only stop words", "q=the%20and%20of", ["q"]],
    ["limit 0", "q=plan&limit=0", ["limit"]],
    ["limit 51", "q=plan&limit=51", ["limit"]],
    ["limit not a number", "q=plan&limit=ten", ["limit"]],
    ["limit not whole", "q=plan&limit=1.5", ["limit"]],
    ["a cursor that is not one", "q=plan&cursor=not-a-cursor", ["cursor"]],
    [
      "a cursor of the wrong shape",
      `q=plan&cursor=${Buffer.from(JSON.stringify({ k: 1, r: "1", t: "x", i: "y" })).toString("base64url")}`,
      ["cursor"],
    ],
    [
      "a cursor with SQL in it",
      `q=plan&cursor=${Buffer.from(JSON.stringify({ k: 1, r: "1); drop table messages; --", t: "2026-01-01T00:00:00.000000Z", i: randomUUID() })).toString("base64url")}`,
      ["cursor"],
    ],
    ["a cursor over 1000 characters", `q=plan&cursor=${"a".repeat(1001)}`, ["cursor"]],
    ["an unknown parameter", "q=plan&sort=new", ["sort"]],
  ];
  for (const [name, query, paths] of badQueries) {
    test(`400 invalid_input: ${name}`, async () => {
      expectInvalid(await call(server, "GET", `/api/search?${query}`), paths);
    });
  }

  test("web-search syntax: quotes, or, and - work", async () => {
    const word = marker();
    const project = await createProject(server);
    const a = await createMessage(server, project.id, { content: `ship the release ${word}` });
    const b = await createMessage(server, project.id, { content: `release to ship ${word}` });

    expect((await search(server, { q: `"ship the release" ${word}` })).hits.map((h) => h.messageId)).toEqual([
      a.id,
    ]);
    expect(
      (await search(server, { q: `release -"ship the release" ${word}` })).hits.map((h) => h.messageId),
    ).toEqual([b.id]);
    expect(
      (await search(server, { q: `nothinglikethis or release ${word}` })).hits.map((h) => h.messageId).sort(),
    ).toEqual([a.id, b.id].sort());
  });
});

describe.each(backends)("search scoping on %s (accounts)", (kind) => {
  const server = useTestServer(kind, { auth: { mode: "accounts" } });

  test("a caller finds their own and shared projects' messages, never a stranger's", async () => {
    const word = marker();
    const owner = await signUp(server, { name: "Owner" });
    const member = await signUp(server, { name: "Member" });
    const stranger = await signUp(server, { name: "Stranger" });
    const shared = await owner.createProject({ name: `Shared ${word}` });
    expect(
      (await owner.call("POST", `/api/projects/${shared.id}/members`, { email: member.user.email })).status,
    ).toBe(201);
    const secret = await stranger.createProject({ name: `Secret ${word}` });
    const post = async (who: typeof owner, projectId: string, content: string) => {
      const answer = await who.call("POST", "/api/messages", { id: randomUUID(), projectId, content });
      expect(answer.status).toBe(201);
      return (answer.body as { id: string }).id;
    };
    const sharedMessage = await post(owner, shared.id, `plans for ${word}`);
    await post(stranger, secret.id, `secret plans for ${word}`);

    const find = async (who: typeof owner) => {
      const answer = await who.call("GET", `/api/search?q=${word}`);
      expect(answer.status).toBe(200);
      return searchResultSchema.parse(answer.body).hits.map((h) => [h.kind, h.messageId ?? h.projectId]);
    };
    expect(await find(member)).toEqual([
      ["project", shared.id],
      ["message", sharedMessage],
    ]);
    expect(await find(owner)).toEqual([
      ["project", shared.id],
      ["message", sharedMessage],
    ]);
    expect((await find(stranger)).map(([, id]) => id)).not.toContain(sharedMessage);
    expect((await find(stranger)).map(([, id]) => id)).not.toContain(shared.id);

    // Removed from the project: its messages are gone from their search.
    expect(
      (await member.request("DELETE", `/api/projects/${shared.id}/members/${member.user.id}`)).status,
    ).toBe(204);
    expect(await find(member)).toEqual([]);
  });

  test("without a session: 401", async () => {
    const answer = await call(server, "GET", "/api/search?q=plan");
    expect(answer.status).toBe(401);
  });
});

describe.each(backends)("search of replies on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, { assistant: { model, flushMs: 20, heartbeatMs: 50, staleMs: 10_000 } });

  test("a reply is found once it ends, not while it is being written", async () => {
    const project = await createProject(server);
    const text = `[tokens:12] [pause:5] ${marker()}`;
    const response = await postChat(server, project.id, text);
    const reply = await waitFor("the reply's first batch", async () =>
      (await projectMessages(server, project.id)).find(
        (m) => m.role === "assistant" && m.content.includes("word5"),
      ),
    );
    expect(reply.status).toBe("streaming");
    expect((await search(server, { q: "word3" })).hits).toEqual([]);

    model.release(text);
    await readAll(response);

    const { hits } = await search(server, { q: "word3 word12" });
    expect(hits.map((h) => [h.messageId, h.role])).toEqual([[reply.id, "assistant"]]);
  });
});
