import { randomUUID } from "node:crypto";
import { messages, projects } from "@tandem/db/schema";
import { MESSAGE_CONTENT_MAX, PROJECT_NAME_MAX } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { backends, useTestServer } from "./backends.ts";
import { call, createMessage, createProject, expectError, expectInvalid } from "./http.ts";

describe.each(backends)("invalid input on %s", (kind) => {
  const server = useTestServer(kind);
  const rowCounts = async () => ({
    projects: await server.handle.db.$count(projects),
    messages: await server.handle.db.$count(messages),
  });

  describe("POST /api/projects", () => {
    test.each([
      ["no fields", {}, ["id", "name"]],
      ["an unknown field", { id: randomUUID(), name: "x", color: "red" }, ["color"]],
      ["two unknown fields", { id: randomUUID(), name: "x", color: "red", owner: 1 }, ["color", "owner"]],
      ["wrong types", { id: 42, name: true }, ["id", "name"]],
      ["an empty name", { id: randomUUID(), name: "" }, ["name"]],
      ["a whitespace-only name", { id: randomUUID(), name: " \t\n " }, ["name"]],
      ["a name over the limit", { id: randomUUID(), name: "n".repeat(PROJECT_NAME_MAX + 1) }, ["name"]],
      ["an id that is not a UUID", { id: "project-1", name: "x" }, ["id"]],
      ["an unknown status", { id: randomUUID(), name: "x", status: "deleted" }, ["status"]],
      ["an array body", [], ["(body)"]],
      ["a null body", null, ["(body)"]],
    ])("with %s is 400 and stores nothing", async (_, body, paths) => {
      const before = await rowCounts();
      expectInvalid(await call(server, "POST", "/api/projects", body), paths);
      expect(await rowCounts()).toEqual(before);
    });

    test("a name at the limit, after trimming, is accepted", async () => {
      const name = "n".repeat(PROJECT_NAME_MAX);
      const project = await createProject(server, { name: `  ${name}  ` });
      expect(project.name).toBe(name);
    });
  });

  describe("PATCH /api/projects/:id", () => {
    test("with an id in the path that is not a UUID is 400 on `id`", async () => {
      expectInvalid(await call(server, "PATCH", "/api/projects/not-a-uuid", { name: "x", version: 1 }), [
        "id",
      ]);
    });

    test.each([
      ["no version", { name: "x" }, ["version"]],
      ["version 0", { name: "x", version: 0 }, ["version"]],
      ["a fractional version", { name: "x", version: 1.5 }, ["version"]],
      ["a version as a string", { name: "x", version: "1" }, ["version"]],
      ["an empty name", { name: "  ", version: 1 }, ["name"]],
      ["an unknown field", { name: "x", version: 1, createdAt: "2020-01-01T00:00:00Z" }, ["createdAt"]],
      ["nothing to change", { version: 1 }, ["(body)"]],
    ])("with %s is 400 and leaves the project as it was", async (_, body, paths) => {
      const project = await createProject(server);
      expectInvalid(await call(server, "PATCH", `/api/projects/${project.id}`, body), paths);
      expect(await call(server, "GET", "/api/projects")).toMatchObject({
        body: expect.arrayContaining([project]),
      });
    });
  });

  test("DELETE /api/projects/:id with an id that is not a UUID is 400 on `id`", async () => {
    expectInvalid(await call(server, "DELETE", "/api/projects/not-a-uuid"), ["id"]);
  });

  describe("POST /api/messages", () => {
    test("with no fields is 400 on each required one", async () => {
      expectInvalid(await call(server, "POST", "/api/messages", {}), ["id", "projectId", "content"]);
    });

    test.each([
      ["an unknown field", { status: "streaming" }, ["status"]],
      ["the assistant role", { role: "assistant" }, ["role"]],
      ["an unknown role", { role: "tool" }, ["role"]],
      ["an empty content", { content: "" }, ["content"]],
      ["a whitespace-only content", { content: " \n\t" }, ["content"]],
      ["a content over the limit", { content: "c".repeat(MESSAGE_CONTENT_MAX + 1) }, ["content"]],
      ["content of the wrong type", { content: 12 }, ["content"]],
      ["an id that is not a UUID", { id: "m1" }, ["id"]],
      ["a projectId that is not a UUID", { projectId: "p1" }, ["projectId"]],
      ["parts that are not a list", { parts: "text" }, ["parts"]],
      ["a part without a type", { parts: [{ type: "text", text: "a" }, { text: "b" }] }, ["parts.1.type"]],
    ])("with %s is 400 and stores nothing", async (_, fields, paths) => {
      const project = await createProject(server);
      const body = { id: randomUUID(), projectId: project.id, content: "Hi", ...fields };
      const before = await rowCounts();
      expectInvalid(await call(server, "POST", "/api/messages", body), paths);
      expect(await rowCounts()).toEqual(before);
    });

    test("a content at the limit is accepted", async () => {
      const project = await createProject(server);
      const message = await createMessage(server, project.id, { content: "c".repeat(MESSAGE_CONTENT_MAX) });
      expect(message.content).toHaveLength(MESSAGE_CONTENT_MAX);
    });
  });

  describe("PATCH /api/messages/:id", () => {
    test("with an id in the path that is not a UUID is 400 on `id`", async () => {
      expectInvalid(await call(server, "PATCH", "/api/messages/not-a-uuid", { content: "x", version: 1 }), [
        "id",
      ]);
    });

    test.each([
      ["no version", { content: "x" }, ["version"]],
      ["no content", { version: 1 }, ["content"]],
      ["an unknown field", { content: "x", version: 1, role: "system" }, ["role"]],
      ["a content over the limit", { content: "c".repeat(MESSAGE_CONTENT_MAX + 1), version: 1 }, ["content"]],
    ])("with %s is 400 and leaves the message as it was", async (_, body, paths) => {
      const project = await createProject(server);
      const message = await createMessage(server, project.id);
      expectInvalid(await call(server, "PATCH", `/api/messages/${message.id}`, body), paths);
      expect((await call(server, "GET", `/api/projects/${project.id}/messages`)).body).toEqual([message]);
    });
  });

  test("DELETE /api/messages/:id with an id that is not a UUID is 400 on `id`", async () => {
    expectInvalid(await call(server, "DELETE", "/api/messages/not-a-uuid"), ["id"]);
  });

  describe("values that pass the contract but that Postgres cannot store", () => {
    const message = (projectId: string, fields: object) => ({
      id: randomUUID(),
      projectId,
      content: "Hi",
      ...fields,
    });

    test.each([
      ["a NUL character in a project name", "/api/projects", () => ({ id: randomUUID(), name: "a\u0000b" })],
      ["a NUL character in a message", "/api/messages", (p: string) => message(p, { content: "a\u0000b" })],
      [
        "a NUL character deep in a part",
        "/api/messages",
        (p: string) => message(p, { parts: [{ type: "text", text: "\u0000" }] }),
      ],
      ["a lone surrogate in a message", "/api/messages", (p: string) => message(p, { content: "a\ud800b" })],
    ])("%s is 400 invalid_input, not 500, and stores nothing", async (_, path, body) => {
      const project = await createProject(server);
      const before = await rowCounts();
      expectError(await call(server, "POST", path, body(project.id)), 400, "invalid_input");
      expect(await rowCounts()).toEqual(before);
    });

    test("a project version beyond int4 is 400, the project unchanged", async () => {
      const project = await createProject(server);
      const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
        name: "x",
        version: 2 ** 31,
      });
      expectError(answer, 400, "invalid_input");
      expect((await call(server, "GET", "/api/projects")).body).toContainEqual(project);
    });
  });

  describe("GET /api/projects/:id/messages", () => {
    test("with a project id that is not a UUID is 400 on `id`", async () => {
      expectInvalid(await call(server, "GET", "/api/projects/not-a-uuid/messages"), ["id"]);
    });

    test.each([
      ["limit=0", ["limit"]],
      ["limit=abc", ["limit"]],
      ["limit=2.5", ["limit"]],
      ["limit=1001", ["limit"]],
      ["after=not-a-uuid", ["after"]],
      ["before=not-a-uuid", ["before"]],
      ["sort=desc", ["sort"]],
    ])("with ?%s is 400 on the failing parameter", async (query, paths) => {
      const project = await createProject(server);
      await createMessage(server, project.id);
      expectInvalid(await call(server, "GET", `/api/projects/${project.id}/messages?${query}`), paths);
    });

    test("with both after and before is 400", async () => {
      const project = await createProject(server);
      const a = await createMessage(server, project.id);
      const b = await createMessage(server, project.id);
      const answer = await call(
        server,
        "GET",
        `/api/projects/${project.id}/messages?after=${a.id}&before=${b.id}`,
      );
      expectInvalid(answer, ["(query)"]);
    });
  });
});
