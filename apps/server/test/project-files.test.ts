import { randomUUID } from "node:crypto";
import { changeLog, messages, projectMembers, projects } from "@tandem/db/schema";
import {
  LOCAL_OWNER,
  type Project,
  type ProjectFile,
  projectFileSchema,
  projectSchema,
  textParts,
} from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { INTERRUPTED_ERROR } from "../src/assistant/generation-sql.ts";
import { signUp } from "./accounts.ts";
import { backends, type TestServer, useTestServer } from "./backends.ts";
import { postChat } from "./chat.ts";
import { appendedBy, eventNames } from "./feed.ts";
import {
  answerOf,
  call,
  createProject,
  expectError,
  expectInvalid,
  OWN_ORIGIN,
  type WithApp,
} from "./http.ts";
import { readAll } from "./sse.ts";

/** POSTs `body` (text as it is) to the import route with a content type, as a browser uploads a file. */
async function importRaw(server: WithApp, body: string, contentType = "application/json") {
  return answerOf(
    await server.app.request("/api/projects/import", {
      method: "POST",
      headers: { origin: OWN_ORIGIN, "content-type": contentType },
      body,
    }),
  );
}

const importFile = (server: WithApp, file: unknown) => importRaw(server, JSON.stringify(file));

async function exportJson(server: WithApp, projectId: string): Promise<ProjectFile> {
  const response = await server.app.request(`/api/projects/${projectId}/export?format=json`);
  expect(response.status).toBe(200);
  return projectFileSchema.parse(await response.json());
}

async function exportMarkdown(server: WithApp, projectId: string, leaf?: string) {
  const query = leaf ? `&leaf=${leaf}` : "";
  return server.app.request(`/api/projects/${projectId}/export?format=markdown${query}`);
}

/** What a file's tree is, without its ids: each message with the index of its parent. */
function treeOf(file: ProjectFile) {
  const index = new Map(file.messages.map((message, i) => [message.id, i]));
  return file.messages.map(({ id: _id, parentId, ...rest }) => ({
    ...rest,
    parent: parentId === null ? null : index.get(parentId),
  }));
}

/** How many rows the import could have written: none may appear after a refusal. */
async function counts(server: Pick<TestServer, "handle">) {
  const db = server.handle.db;
  return {
    projects: await db.$count(projects),
    members: await db.$count(projectMembers),
    messages: await db.$count(messages),
    log: await db.$count(changeLog),
  };
}

const at = (ms: number) => new Date(Date.UTC(2026, 10, 30, 9, 0, 0) + ms).toISOString();
const ids = Array.from({ length: 6 }, () => randomUUID());

/** A project file with two versions of the first reply (a branch), as `versions` writes them. */
function branchedFile(): ProjectFile {
  const [question, first, second, followUp, answer] = ids;
  return {
    format: "tandem.project",
    version: 1,
    exportedAt: at(10_000),
    project: { name: "Imported plans", instructions: "Answer briefly.", createdAt: at(0) },
    messages: [
      {
        id: question ?? "",
        parentId: null,
        role: "user",
        content: "Plan a trip",
        status: "complete",
        createdAt: at(1),
      },
      {
        id: first ?? "",
        parentId: question ?? "",
        role: "assistant",
        content: "Go north.",
        status: "complete",
        createdAt: at(2),
      },
      {
        id: second ?? "",
        parentId: question ?? "",
        role: "assistant",
        content: "Go **south**.",
        status: "stopped",
        createdAt: at(3),
      },
      {
        id: followUp ?? "",
        parentId: second ?? "",
        role: "user",
        content: "Why south?",
        status: "complete",
        createdAt: at(4),
      },
      {
        id: answer ?? "",
        parentId: followUp ?? "",
        role: "assistant",
        content: "It is warm.",
        status: "complete",
        createdAt: at(4),
      },
    ],
  };
}

describe.each(backends)("export and import on %s", (kind) => {
  const server = useTestServer(kind, { assistant: { tokenDelayMs: 0, flushMs: 20 } });

  /** A project with instructions and two turns answered by the offline assistant. */
  async function projectWithChat(name = "Trip") {
    const project = await createProject(server, { name });
    await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: "Be brief.", version: 1 });
    await readAll(await postChat(server, project.id, "Where should we go?"));
    await readAll(await postChat(server, project.id, "And when?"));
    return project;
  }

  test("JSON: the versioned file of the project and every message, oldest first, as a download", async () => {
    const project = await projectWithChat();
    const response = await server.app.request(`/api/projects/${project.id}/export?format=json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="Trip.json"; filename*=UTF-8''Trip.json`,
    );
    const file = projectFileSchema.parse(await response.json());
    expect(file).toMatchObject({
      format: "tandem.project",
      version: 1,
      project: { name: "Trip", instructions: "Be brief.", createdAt: project.createdAt },
    });
    expect(file.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    expect(file.messages[0]).toMatchObject({ parentId: null, content: "Where should we go?" });
    // Each message follows the one before it on this (only) branch.
    for (let i = 1; i < file.messages.length; i++) {
      expect(file.messages[i]?.parentId).toBe(file.messages[i - 1]?.id);
    }
    expect(Object.keys(file.messages[0] ?? {}).sort()).toEqual(
      ["content", "createdAt", "error", "id", "parentId", "parts", "role", "status"].sort(),
    );
  });

  test("Markdown: a transcript with the name as heading, each message under its author and time", async () => {
    const project = await projectWithChat("Q4 plan: “launch”/review");
    const response = await exportMarkdown(server, project.id);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    // A name with characters a file name cannot hold, and one beyond ASCII.
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="Q4-plan-_launch_-review.md"; filename*=UTF-8''Q4-plan-%E2%80%9Claunch%E2%80%9D-review.md`,
    );
    const text = await response.text();
    expect(text.startsWith("# Q4 plan: “launch”/review\n")).toBe(true);
    expect(text).toContain("## Instructions\n\n> Be brief.");
    const headings = text.match(/^## (User|Assistant) · \d{4}-\d\d-\d\d \d\d:\d\d UTC$/gm) ?? [];
    expect(headings.map((h) => h.split(" ")[1])).toEqual(["User", "Assistant", "User", "Assistant"]);
    expect(text).toContain("Where should we go?");
    expect(text).toContain("Tandem's built-in offline assistant");
  });

  test("Markdown with a leaf: the branch that ends at that message", async () => {
    const project = await projectWithChat();
    const file = await exportJson(server, project.id);
    const firstReply = file.messages[1];
    const text = await (await exportMarkdown(server, project.id, firstReply?.id)).text();
    expect(text).toContain("Where should we go?");
    expect(text).not.toContain("And when?");
    expect(text.match(/^## /gm)?.length).toBe(3); // Instructions, User, Assistant
  });

  test("the branch of a transcript: the newest version at every turn, or the one ending at the leaf", async () => {
    const imported = projectSchema.parse((await importFile(server, branchedFile())).body);
    const newest = await (await exportMarkdown(server, imported.id)).text();
    expect(newest).toContain("Go **south**.");
    expect(newest).toContain("## Assistant · 2026-11-30 09:00 UTC (stopped)");
    expect(newest).toContain("It is warm.");
    expect(newest).not.toContain("Go north.");

    const file = await exportJson(server, imported.id);
    const north = file.messages.find((m) => m.content === "Go north.");
    const older = await (await exportMarkdown(server, imported.id, north?.id)).text();
    expect(older).toContain("Go north.");
    expect(older).not.toContain("south");
  });

  test("bad export queries are 400 by field; an unknown project is 404", async () => {
    const project = await projectWithChat();
    const other = await projectWithChat("Other");
    const otherMessage = (await exportJson(server, other.id)).messages[0];
    expectInvalid(await call(server, "GET", `/api/projects/${project.id}/export`), ["format"]);
    expectInvalid(await call(server, "GET", `/api/projects/${project.id}/export?format=pdf`), ["format"]);
    expectInvalid(await call(server, "GET", `/api/projects/${project.id}/export?format=markdown&leaf=nope`), [
      "leaf",
    ]);
    expectInvalid(
      await call(
        server,
        "GET",
        `/api/projects/${project.id}/export?format=markdown&leaf=${otherMessage?.id}`,
      ),
      ["leaf"],
    );
    expectError(
      await call(server, "GET", `/api/projects/${randomUUID()}/export?format=json`),
      404,
      "not_found",
    );
  });

  test("export → import makes a new project of the caller's, the same tree and texts under new ids", async () => {
    const project = await projectWithChat();
    const original = await exportJson(server, project.id);

    const answer = await importFile(server, original);
    expect(answer.status).toBe(201);
    const imported = projectSchema.parse(answer.body);
    expect(imported).toMatchObject({
      name: "Trip",
      instructions: "Be brief.",
      ownerId: LOCAL_OWNER.id,
      status: "active",
      version: 1,
    });
    expect(imported.id).not.toBe(project.id);

    const copy = await exportJson(server, imported.id);
    expect(treeOf(copy)).toEqual(treeOf(original));
    const originalIds = new Set(original.messages.map((m) => m.id));
    expect(copy.messages.some((m) => originalIds.has(m.id))).toBe(false);
    expect(copy.project.instructions).toBe("Be brief.");
    // The original is untouched.
    expect(await exportJson(server, project.id)).toMatchObject({ messages: original.messages });
  });

  test("a file with branches comes back with the same branches", async () => {
    const file = branchedFile();
    const imported = projectSchema.parse((await importFile(server, file)).body);
    const copy = await exportJson(server, imported.id);
    const expected = treeOf(projectFileSchema.parse(file)).map((message) => ({
      ...message,
      error: null,
      parts: message.role === "assistant" || message.role === "user" ? textParts(message.content) : [],
    }));
    expect(treeOf(copy)).toEqual(expected);
  });

  test("messages of one millisecond keep the file's order; a reply still being written comes in cut off", async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // Ids that sort the other way round than the file's order, all in one millisecond.
    const [first, second, third] = [a, b, c].sort().reverse() as [string, string, string];
    const answer = await importFile(server, {
      ...branchedFile(),
      messages: [
        { id: first, parentId: null, role: "user", content: "one", status: "complete", createdAt: at(5) },
        {
          id: second,
          parentId: first,
          role: "assistant",
          content: "two",
          status: "complete",
          createdAt: at(5),
        },
        { id: third, parentId: second, role: "user", content: "three", status: "complete", createdAt: at(5) },
        {
          id: randomUUID(),
          parentId: third,
          role: "assistant",
          content: "half a rep",
          status: "streaming",
          createdAt: at(5),
        },
      ],
    });
    const imported = projectSchema.parse(answer.body);
    const copy = await exportJson(server, imported.id);
    expect(copy.messages.map((m) => m.content)).toEqual(["one", "two", "three", "half a rep"]);
    expect(new Set(copy.messages.map((m) => m.createdAt))).toEqual(new Set([at(5)]));
    expect(copy.messages[3]).toMatchObject({ status: "interrupted", error: INTERRUPTED_ERROR });
  });

  test("an import is one change on the feed: the new project", async () => {
    let imported: Project | undefined;
    const events = await appendedBy(server.handle.db, async () => {
      imported = projectSchema.parse((await importFile(server, branchedFile())).body);
    });
    expect(eventNames(events)).toEqual([`project:upsert:${imported?.id}`]);
    expect(events[0]?.row).toEqual(imported);
  });

  test("a file over the 1 MiB of other bodies imports", async () => {
    const big = "x".repeat(90_000);
    const file = branchedFile();
    const root = file.messages[0]?.id ?? "";
    const many = Array.from({ length: 14 }, (_, i) => ({
      id: randomUUID(),
      parentId: root,
      role: "assistant" as const,
      content: `${i} ${big}`,
      status: "complete" as const,
      createdAt: at(20 + i),
    }));
    const body = JSON.stringify({ ...file, messages: [...file.messages, ...many] });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const answer = await importRaw(server, body);
    expect(answer.status).toBe(201);
    const copy = await exportJson(server, projectSchema.parse(answer.body).id);
    expect(copy.messages).toHaveLength(file.messages.length + many.length);
  });

  describe("a file that is not a project file is refused, and nothing is written", () => {
    const refusals: Array<{
      name: string;
      body: () => string;
      contentType?: string;
      status: number;
      code: string;
      paths?: string[];
      says?: RegExp;
    }> = [
      { name: "not JSON", body: () => "# My notes\n\nnot json", status: 400, code: "invalid_json" },
      {
        name: "not sent as JSON",
        body: () => JSON.stringify(branchedFile()),
        contentType: "text/plain",
        status: 415,
        code: "unsupported_media_type",
      },
      {
        name: "JSON but not an object",
        body: () => "[1, 2, 3]",
        status: 400,
        code: "invalid_input",
        says: /not a Tandem project/,
      },
      {
        name: "another format",
        body: () => JSON.stringify({ ...branchedFile(), format: "other.app" }),
        status: 400,
        code: "invalid_input",
        paths: ["format"],
        says: /not a Tandem project/,
      },
      {
        name: "an unknown version",
        body: () => JSON.stringify({ ...branchedFile(), version: 2 }),
        status: 400,
        code: "invalid_input",
        paths: ["version"],
        says: /version 2.*version 1/,
      },
      {
        name: "a message with a wrong role and an empty question",
        body: () => {
          const file = branchedFile();
          return JSON.stringify({
            ...file,
            messages: [
              { ...file.messages[0], content: " " },
              { ...file.messages[1], role: "robot" },
            ],
          });
        },
        status: 400,
        code: "invalid_input",
        paths: ["messages.0.content", "messages.1.role"],
      },
      {
        name: "a project without a name",
        body: () => JSON.stringify({ ...branchedFile(), project: { name: "", createdAt: at(0) } }),
        status: 400,
        code: "invalid_input",
        paths: ["project.name"],
      },
      {
        name: "a parent that is not in the file",
        body: () => {
          const file = branchedFile();
          file.messages[1] = {
            ...(file.messages[1] as ProjectFile["messages"][number]),
            parentId: randomUUID(),
          };
          return JSON.stringify(file);
        },
        status: 400,
        code: "invalid_input",
        paths: ["messages.1.parentId"],
        says: /do not form a tree/,
      },
      {
        name: "a cycle",
        body: () => {
          const file = branchedFile();
          // The first message follows the last: each is its own ancestor.
          file.messages[3] = {
            ...(file.messages[3] as ProjectFile["messages"][number]),
            parentId: ids[4] ?? null,
          };
          return JSON.stringify(file);
        },
        status: 400,
        code: "invalid_input",
        paths: ["messages.3.parentId", "messages.4.parentId"],
        says: /do not form a tree/,
      },
      {
        name: "an id used twice",
        body: () => {
          const file = branchedFile();
          file.messages[2] = { ...(file.messages[2] as ProjectFile["messages"][number]), id: ids[1] ?? "" };
          return JSON.stringify(file);
        },
        status: 400,
        code: "invalid_input",
        // Its reply now follows an id the file no longer has.
        paths: ["messages.2.id", "messages.3.parentId"],
      },
      {
        name: "a message older than the one it follows",
        body: () => {
          const file = branchedFile();
          file.messages[1] = { ...(file.messages[1] as ProjectFile["messages"][number]), createdAt: at(0) };
          return JSON.stringify(file);
        },
        status: 400,
        code: "invalid_input",
        paths: ["messages.1.createdAt"],
      },
    ];

    test.each(refusals)("$name: $status $code", async (refusal) => {
      const before = await counts(server);
      const answer = await importRaw(server, refusal.body(), refusal.contentType);
      const error = expectError(answer, refusal.status, refusal.code);
      if (refusal.paths)
        expect((error.details ?? []).map((d) => d.path).sort()).toEqual(refusal.paths.sort());
      if (refusal.says) expect(error.message).toMatch(refusal.says);
      expect(await counts(server)).toEqual(before);
    });

    test("over IMPORT_MAX_BYTES (20 MiB by default): 413, by its declared length, before it is read", async () => {
      const before = await counts(server);
      const response = await server.app.request("/api/projects/import", {
        method: "POST",
        headers: {
          origin: OWN_ORIGIN,
          "content-type": "application/json",
          "content-length": String(20 * 1024 * 1024 + 1),
        },
        body: "{}",
      });
      const error = expectError(await answerOf(response), 413, "payload_too_large");
      expect(error.message).toContain("20 MiB");
      expect(await counts(server)).toEqual(before);
    });
  });
});

describe.each(backends)("import limits and owners on %s", (kind) => {
  const server = useTestServer(kind, { auth: { mode: "accounts" }, importMaxBytes: 4096 });

  test("a file over the server's IMPORT_MAX_BYTES is 413 whether its length is declared or streamed", async () => {
    const someone = await signUp(server, { name: "Importer" });
    const before = await counts(server);
    const file = JSON.stringify({ ...branchedFile(), exportedAt: at(0), padding: "x".repeat(5000) });
    const refused = await server.app.request("/api/projects/import", {
      method: "POST",
      headers: { origin: OWN_ORIGIN, cookie: someone.cookie, "content-type": "application/json" },
      body: file,
    });
    const error = expectError(await answerOf(refused), 413, "payload_too_large");
    expect(error.message).toContain("4 KiB");
    const streamed = await server.app.request("/api/projects/import", {
      method: "POST",
      headers: { origin: OWN_ORIGIN, cookie: someone.cookie, "content-type": "application/json" },
      body: new Blob([file]).stream(),
      duplex: "half",
    } as RequestInit);
    expectError(await answerOf(streamed), 413, "payload_too_large");
    expect(await counts(server)).toEqual(before);
  });

  test("the importer owns the copy; nobody else sees it; without a session: 401", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const other = await signUp(server, { name: "Other" });
    const file = JSON.stringify(branchedFile());
    expectError(await importRaw(server, file), 401, "unauthorized");

    const answer = await answerOf(
      await server.app.request("/api/projects/import", {
        method: "POST",
        headers: { origin: OWN_ORIGIN, cookie: owner.cookie, "content-type": "application/json" },
        body: file,
      }),
    );
    expect(answer.status).toBe(201);
    const imported = projectSchema.parse(answer.body);
    expect(imported.ownerId).toBe(owner.user.id);
    const listed = async (who: typeof owner) =>
      ((await who.call("GET", "/api/projects")).body as Project[]).map((p) => p.id);
    expect(await listed(owner)).toContain(imported.id);
    expect(await listed(other)).not.toContain(imported.id);
    expectError(await other.call("GET", `/api/projects/${imported.id}/export?format=json`), 404, "not_found");
  });
});
