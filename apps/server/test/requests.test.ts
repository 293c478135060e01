import { randomUUID } from "node:crypto";
import { projects } from "@tandem/db/schema";
import { BODY_LIMIT_BYTES } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { backends, useTestServer } from "./backends.ts";
import { answerOf, call, createProject, expectError, OWN_ORIGIN } from "./http.ts";

/** Requests a client can get wrong before any field is looked at. */
describe.each(backends)("malformed requests on %s", (kind) => {
  const server = useTestServer(kind);
  const send = async (path: string, init: RequestInit & { headers?: Record<string, string> }) =>
    answerOf(await server.app.request(path, { ...init, headers: { origin: OWN_ORIGIN, ...init.headers } }));
  const projectCount = () => server.handle.db.$count(projects);

  test("a body over 1 MiB is 413 and stores nothing", async () => {
    const before = await projectCount();
    const name = "n".repeat(BODY_LIMIT_BYTES);
    const answer = await send("/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: randomUUID(), name }),
    });
    expectError(answer, 413, "payload_too_large");
    expect(await projectCount()).toBe(before);
  });

  test("a body whose Content-Length is over 1 MiB is 413 and stores nothing, and one under it is read", async () => {
    const before = await projectCount();
    const over = JSON.stringify({ id: randomUUID(), name: "n".repeat(BODY_LIMIT_BYTES) });
    const refused = await send("/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(over)) },
      body: over,
    });
    expectError(refused, 413, "payload_too_large");
    expect(await projectCount()).toBe(before);

    const under = JSON.stringify({ id: randomUUID(), name: "Announced" });
    const stored = await send("/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(under)) },
      body: under,
    });
    expect(stored.status).toBe(201);
    expect(await projectCount()).toBe(before + 1);
  });

  test("a body just under 1 MiB gets past the size check to validation", async () => {
    const name = "n".repeat(BODY_LIMIT_BYTES - 100);
    const answer = await call(server, "POST", "/api/projects", { id: randomUUID(), name });
    expect(answer.status).toBe(400);
  });

  test.each([
    ["text/plain", { "content-type": "text/plain" }],
    ["form data", { "content-type": "application/x-www-form-urlencoded" }],
    ["no content type", {}],
  ])("a JSON body sent as %s is 415 and stores nothing", async (_, headers) => {
    const before = await projectCount();
    const answer = await send("/api/projects", {
      method: "POST",
      headers,
      body: JSON.stringify({ id: randomUUID(), name: "Plain" }),
    });
    expectError(answer, 415, "unsupported_media_type");
    expect(await projectCount()).toBe(before);
  });

  test("a JSON body on a PATCH without a content type is 415", async () => {
    const project = await createProject(server);
    const answer = await send(`/api/projects/${project.id}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "x", version: 1 }),
    });
    expectError(answer, 415, "unsupported_media_type");
  });

  test("a JSON content type with parameters or a +json suffix is accepted", async () => {
    for (const contentType of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const answer = await send("/api/projects", {
        method: "POST",
        headers: { "content-type": contentType },
        body: JSON.stringify({ id: randomUUID(), name: contentType }),
      });
      expect(answer.status).toBe(201);
    }
  });

  test.each([
    ["a cut-off object", '{"id": "'],
    ["a trailing comma", '{"name": "x",}'],
    ["an empty body", ""],
  ])("malformed JSON (%s) is 400 invalid_json", async (_, body) => {
    const before = await projectCount();
    const answer = await send("/api/projects", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expectError(answer, 400, "invalid_json");
    expect(await projectCount()).toBe(before);
  });

  test.each([
    ["GET", "/api/nothing-here"],
    ["GET", "/api/projects/x/y/z"],
    ["POST", "/api/health"],
    ["PUT", `/api/projects/${randomUUID()}`],
    ["GET", `/api/messages/${randomUUID()}`],
  ])("%s %s is a JSON 404", async (method, path) => {
    const error = expectError(await send(path, { method }), 404, "not_found");
    expect(error.message).toContain(path);
  });
});
