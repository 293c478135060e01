import { randomUUID } from "node:crypto";
import type { APIResponse } from "@playwright/test";
import { expect, test, uniqueName } from "./fixtures.ts";

/** The limits of the issue, written out: the acceptance tests hold the app to them. */
const NAME_MAX = 200;
const CONTENT_MAX = 100_000;
const BODY_MAX = 1024 * 1024;

interface ErrorEnvelope {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

/** Checks status, code and envelope shape; with `paths`, exactly the failing fields. */
async function expectError(res: APIResponse, status: number, code: string, paths?: string[]) {
  const text = await res.text();
  expect(res.status(), text).toBe(status);
  expect(res.headers()["content-type"]).toMatch(/^application\/json/);
  const body = JSON.parse(text) as ErrorEnvelope;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error).toMatchObject({ code, message: expect.any(String) });
  expect(body.error.message.length).toBeGreaterThan(0);
  if (paths) {
    expect(body.error.details, text).toBeDefined();
    for (const detail of body.error.details ?? []) {
      expect(detail).toEqual({ path: expect.any(String), message: expect.any(String) });
    }
    const failing = [...new Set(body.error.details?.map((detail) => detail.path))].sort();
    expect(failing, text).toEqual([...paths].sort());
  }
  return body.error;
}

test.describe("400 invalid input names the failing fields", () => {
  test("a project without its fields", async ({ request }) => {
    await expectError(await request.post("/api/projects", { data: {} }), 400, "invalid_input", [
      "id",
      "name",
    ]);
  });

  test("a project with an unknown field", async ({ request }) => {
    const res = await request.post("/api/projects", {
      data: { id: randomUUID(), name: uniqueName("Unknown field"), colour: "red" },
    });
    await expectError(res, 400, "invalid_input", ["colour"]);
  });

  test("a project with fields of the wrong type", async ({ request }) => {
    const res = await request.post("/api/projects", { data: { id: 42, name: true } });
    await expectError(res, 400, "invalid_input", ["id", "name"]);
  });

  test("a project with an unknown status", async ({ request }) => {
    const res = await request.post("/api/projects", {
      data: { id: randomUUID(), name: uniqueName("Status"), status: "deleted" },
    });
    await expectError(res, 400, "invalid_input", ["status"]);
  });

  test("an empty or blank project name", async ({ request }) => {
    for (const name of ["", "   "]) {
      const res = await request.post("/api/projects", { data: { id: randomUUID(), name } });
      await expectError(res, 400, "invalid_input", ["name"]);
    }
  });

  test(`a project name over ${NAME_MAX} characters, while ${NAME_MAX} is fine`, async ({ request }) => {
    const tooLong = await request.post("/api/projects", {
      data: { id: randomUUID(), name: "n".repeat(NAME_MAX + 1) },
    });
    await expectError(tooLong, 400, "invalid_input", ["name"]);

    const longest = await request.post("/api/projects", {
      data: { id: randomUUID(), name: `${randomUUID()}${"n".repeat(NAME_MAX - 36)}` },
    });
    expect(longest.status(), await longest.text()).toBe(201);
  });

  test("a body that is JSON but not an object", async ({ request }) => {
    for (const data of [[], "a string", 7, null]) {
      const res = await request.post("/api/projects", {
        data: Buffer.from(JSON.stringify(data)),
        headers: { "content-type": "application/json" },
      });
      await expectError(res, 400, "invalid_input", ["(body)"]);
    }
  });

  test("a non-uuid id, in the body and in the path", async ({ request }) => {
    await expectError(
      await request.post("/api/projects", { data: { id: "project-1", name: uniqueName("Bad id") } }),
      400,
      "invalid_input",
      ["id"],
    );
    await expectError(
      await request.patch("/api/projects/project-1", { data: { name: "x", version: 1 } }),
      400,
      "invalid_input",
      ["id"],
    );
    await expectError(await request.delete("/api/projects/project-1"), 400, "invalid_input", ["id"]);
    await expectError(await request.get("/api/projects/project-1/messages"), 400, "invalid_input", ["id"]);
    await expectError(
      await request.post("/api/messages", {
        data: { id: "message-1", projectId: "project-1", content: "hi" },
      }),
      400,
      "invalid_input",
      ["id", "projectId"],
    );
    await expectError(
      await request.patch("/api/messages/123", { data: { content: "x", version: 1 } }),
      400,
      "invalid_input",
      ["id"],
    );
    await expectError(await request.delete("/api/messages/123"), 400, "invalid_input", ["id"]);
  });

  test("a project update without a version, or with nothing to change", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Update"));
    await expectError(
      await request.patch(`/api/projects/${project.id}`, { data: { name: "Renamed" } }),
      400,
      "invalid_input",
      ["version"],
    );
    await expectError(
      await request.patch(`/api/projects/${project.id}`, { data: { name: "Renamed", version: "1" } }),
      400,
      "invalid_input",
      ["version"],
    );
    await expectError(
      await request.patch(`/api/projects/${project.id}`, { data: { version: 1 } }),
      400,
      "invalid_input",
      ["(body)"],
    );
    await expectError(
      await request.patch(`/api/projects/${project.id}`, { data: { name: " ", version: 1 } }),
      400,
      "invalid_input",
      ["name"],
    );
    // Nothing was changed by the refused updates.
    const [stored] = (await api.projects()).filter((row) => row.id === project.id);
    expect(stored).toMatchObject({ name: project.name, version: 1 });
  });

  test("a message without its fields, or with wrong ones", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Message fields"));
    await expectError(await request.post("/api/messages", { data: {} }), 400, "invalid_input", [
      "id",
      "projectId",
      "content",
    ]);
    await expectError(
      await request.post("/api/messages", {
        data: { id: randomUUID(), projectId: project.id, content: 12, pinned: true },
      }),
      400,
      "invalid_input",
      ["content", "pinned"],
    );
    await expectError(
      await request.post("/api/messages", {
        data: { id: randomUUID(), projectId: project.id, content: "hi", role: "assistant" },
      }),
      400,
      "invalid_input",
      ["role"],
    );
    await expectError(
      await request.post("/api/messages", {
        data: { id: randomUUID(), projectId: project.id, content: "hi", parts: [{ text: "hi" }] },
      }),
      400,
      "invalid_input",
      ["parts.0.type"],
    );
    await expectError(
      await request.post("/api/messages", {
        data: { id: randomUUID(), projectId: project.id, content: " \n " },
      }),
      400,
      "invalid_input",
      ["content"],
    );
    expect(await api.messages(project.id)).toEqual([]);
  });

  test(`message content over ${CONTENT_MAX.toLocaleString("en")} characters, while the limit is fine`, async ({
    api,
    request,
  }) => {
    const project = await api.createProject(uniqueName("Long content"));
    const tooLong = await request.post("/api/messages", {
      data: { id: randomUUID(), projectId: project.id, content: "c".repeat(CONTENT_MAX + 1) },
    });
    await expectError(tooLong, 400, "invalid_input", ["content"]);

    const message = await api.createMessage(project.id, "short");
    const tooLongEdit = await request.patch(`/api/messages/${message.id}`, {
      data: { content: "c".repeat(CONTENT_MAX + 1), version: message.version },
    });
    await expectError(tooLongEdit, 400, "invalid_input", ["content"]);

    const longest = await request.post("/api/messages", {
      data: { id: randomUUID(), projectId: project.id, content: "c".repeat(CONTENT_MAX) },
    });
    expect(longest.status(), await longest.text()).toBe(201);
  });

  test("bad paging parameters", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Paging"));
    const messages = `/api/projects/${project.id}/messages`;
    await expectError(await request.get(`${messages}?limit=lots`), 400, "invalid_input", ["limit"]);
    await expectError(await request.get(`${messages}?limit=0`), 400, "invalid_input", ["limit"]);
    await expectError(await request.get(`${messages}?limit=1001`), 400, "invalid_input", ["limit"]);
    await expectError(await request.get(`${messages}?after=first`), 400, "invalid_input", ["after"]);
    await expectError(await request.get(`${messages}?sort=desc`), 400, "invalid_input", ["sort"]);
    await expectError(await request.get(`${messages}?after=${randomUUID()}`), 400, "invalid_input", [
      "after",
    ]);
  });

  test("invalid JSON", async ({ request }) => {
    const res = await request.post("/api/projects", {
      data: Buffer.from('{"id": "'),
      headers: { "content-type": "application/json" },
    });
    await expectError(res, 400, "invalid_json");
  });
});

test.describe("404 for ids that do not exist", () => {
  test("unknown project", async ({ request }) => {
    const id = randomUUID();
    await expectError(
      await request.patch(`/api/projects/${id}`, { data: { name: "x", version: 1 } }),
      404,
      "not_found",
    );
    await expectError(await request.delete(`/api/projects/${id}`), 404, "not_found");
    await expectError(await request.get(`/api/projects/${id}/messages`), 404, "not_found");
    await expectError(
      await request.post("/api/messages", { data: { id: randomUUID(), projectId: id, content: "hi" } }),
      404,
      "not_found",
    );
  });

  test("unknown message", async ({ request }) => {
    const id = randomUUID();
    await expectError(
      await request.patch(`/api/messages/${id}`, { data: { content: "x", version: 1 } }),
      404,
      "not_found",
    );
    await expectError(await request.delete(`/api/messages/${id}`), 404, "not_found");
  });

  test("a deleted project, and its messages with it", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Deleted"));
    const message = await api.createMessage(project.id, "goes with the project");
    expect((await request.delete(`/api/projects/${project.id}`)).status()).toBe(200);
    await expectError(await request.get(`/api/projects/${project.id}/messages`), 404, "not_found");
    await expectError(await request.delete(`/api/messages/${message.id}`), 404, "not_found");
  });

  test("an unknown API route", async ({ request }) => {
    await expectError(await request.get("/api/nothing-here"), 404, "not_found");
  });
});

test.describe("409 conflicts", () => {
  test("a project update based on a stale version", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Stale"));
    const first = await request.patch(`/api/projects/${project.id}`, {
      data: { name: `${project.name} (1)`, version: 1 },
    });
    expect(first.status()).toBe(200);
    expect(await first.json()).toMatchObject({ name: `${project.name} (1)`, version: 2 });

    const stale = await request.patch(`/api/projects/${project.id}`, {
      data: { name: `${project.name} (stale)`, version: 1 },
    });
    await expectError(stale, 409, "version_conflict");
    const [stored] = (await api.projects()).filter((row) => row.id === project.id);
    expect(stored).toMatchObject({ name: `${project.name} (1)`, version: 2 });
  });

  test("a message update based on a stale version", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Stale message"));
    const message = await api.createMessage(project.id, "v1");
    const first = await request.patch(`/api/messages/${message.id}`, { data: { content: "v2", version: 1 } });
    expect(first.status()).toBe(200);
    const stale = await request.patch(`/api/messages/${message.id}`, { data: { content: "v3", version: 1 } });
    await expectError(stale, 409, "version_conflict");
    expect((await api.messages(project.id)).map((row) => [row.content, row.version])).toEqual([["v2", 2]]);
  });

  test("a project id reused with another body; the same body again is idempotent", async ({
    api,
    request,
  }) => {
    const project = await api.createProject(uniqueName("Duplicate"));
    const again = await request.post("/api/projects", { data: { id: project.id, name: project.name } });
    expect(again.status()).toBe(200);
    expect(await again.json()).toEqual(project);

    const other = await request.post("/api/projects", {
      data: { id: project.id, name: uniqueName("Other") },
    });
    await expectError(other, 409, "duplicate_id");
    expect((await api.projects()).filter((row) => row.id === project.id)).toEqual([project]);
  });

  test("a message id reused with another body; the same body again is idempotent", async ({
    api,
    request,
  }) => {
    const project = await api.createProject(uniqueName("Duplicate message"));
    const message = await api.createMessage(project.id, "first");
    const again = await request.post("/api/messages", {
      data: { id: message.id, projectId: project.id, role: "user", content: "first" },
    });
    expect(again.status()).toBe(200);
    expect(await again.json()).toEqual(message);

    const other = await request.post("/api/messages", {
      data: { id: message.id, projectId: project.id, content: "second" },
    });
    await expectError(other, 409, "duplicate_id");

    const elsewhere = await api.createProject(uniqueName("Elsewhere"));
    const moved = await request.post("/api/messages", {
      data: { id: message.id, projectId: elsewhere.id, content: "first" },
    });
    await expectError(moved, 409, "duplicate_id");
    expect(await api.messages(project.id)).toEqual([message]);
    expect(await api.messages(elsewhere.id)).toEqual([]);
  });
});

test.describe("413 and 415: bodies the API does not take", () => {
  test("a body over 1 MiB is refused before anything is written", async ({ api, request }) => {
    const project = await api.createProject(uniqueName("Big body"));
    const res = await request.post("/api/messages", {
      data: { id: randomUUID(), projectId: project.id, content: "b".repeat(BODY_MAX) },
    });
    await expectError(res, 413, "payload_too_large");

    const bigProject = await request.post("/api/projects", {
      data: { id: randomUUID(), name: "p".repeat(BODY_MAX + 1) },
    });
    await expectError(bigProject, 413, "payload_too_large");
    expect(await api.messages(project.id)).toEqual([]);
  });

  test("the connection still answers after a 413", async ({ request }) => {
    const big = await request.post("/api/projects", {
      data: { id: randomUUID(), name: "p".repeat(BODY_MAX + 1) },
    });
    await expectError(big, 413, "payload_too_large");
    expect((await request.get("/api/health")).status()).toBe(200);
  });

  test("a body that is not JSON", async ({ api, request }) => {
    const body = JSON.stringify({ id: randomUUID(), name: uniqueName("Plain text") });
    await expectError(
      await request.post("/api/projects", { data: body, headers: { "content-type": "text/plain" } }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await request.post("/api/projects", { form: { id: randomUUID(), name: "Form" } }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await request.post("/api/projects", { data: Buffer.from(body) }),
      415,
      "unsupported_media_type",
    );
    const project = await api.createProject(uniqueName("Not JSON"));
    await expectError(
      await request.patch(`/api/projects/${project.id}`, {
        data: JSON.stringify({ name: "x", version: 1 }),
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await request.post("/api/messages", {
        data: JSON.stringify({ id: randomUUID(), projectId: project.id, content: "hi" }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "unsupported_media_type",
    );
  });
});

test("health answers which database is in use", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ ok: true, db: process.env.DATABASE_URL ? "postgres" : "pglite" });
});
