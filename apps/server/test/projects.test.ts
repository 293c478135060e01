import { randomUUID } from "node:crypto";
import { messages, projects } from "@tandem/db/schema";
import { LOCAL_OWNER, type Project, projectListSchema, projectSchema } from "@tandem/shared";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { backends, useTestServer } from "./backends.ts";
import { call, createMessage, createProject, expectError } from "./http.ts";

describe.each(backends)("projects on %s", (kind) => {
  const server = useTestServer(kind);
  const storedProject = async (id: string) => {
    const [row] = await server.handle.db.select().from(projects).where(eq(projects.id, id));
    return row;
  };

  test("POST creates a project at version 1 and answers it in camelCase", async () => {
    const id = randomUUID();
    const answer = await call(server, "POST", "/api/projects", { id, name: "Launch plan" });

    expect(answer.status).toBe(201);
    const project = projectSchema.parse(answer.body);
    expect(Object.keys(answer.body as object).sort()).toEqual(
      ["createdAt", "id", "instructions", "name", "ownerId", "status", "updatedAt", "version"].sort(),
    );
    // AUTH=local: everything belongs to the local owner.
    expect(project).toMatchObject({
      id,
      name: "Launch plan",
      status: "active",
      instructions: "",
      ownerId: LOCAL_OWNER.id,
      version: 1,
    });
    expect(project.updatedAt).toBe(project.createdAt);
    expect(await storedProject(id)).toMatchObject({ name: "Launch plan", status: "active", version: 1 });
  });

  test("POST keeps a given status and trims the name", async () => {
    const project = await createProject(server, { name: "  Old ideas  ", status: "archived" });
    expect(project).toMatchObject({ name: "Old ideas", status: "archived" });
  });

  test("POST again with the same id and body is a retry: 200 with the stored row", async () => {
    const body = { id: randomUUID(), name: "Retry me" };
    const first = await call(server, "POST", "/api/projects", body);
    const again = await call(server, "POST", "/api/projects", body);

    expect(first.status).toBe(201);
    expect(again).toEqual({ status: 200, body: first.body });
    expect(await server.handle.db.$count(projects, eq(projects.id, body.id))).toBe(1);
  });

  test("POST with a taken id and a different body is 409 duplicate_id, the stored row unchanged", async () => {
    const project = await createProject(server, { name: "Original" });
    const answer = await call(server, "POST", "/api/projects", { id: project.id, name: "Impostor" });

    const error = expectError(answer, 409, "duplicate_id");
    expect(error.current).toEqual(project);
    expect(await storedProject(project.id)).toMatchObject({ name: "Original", version: 1 });
  });

  test("POST with a taken id and another status is 409 too", async () => {
    const project = await createProject(server);
    const answer = await call(server, "POST", "/api/projects", {
      id: project.id,
      name: project.name,
      status: "archived",
    });
    expectError(answer, 409, "duplicate_id");
  });

  test("GET lists projects oldest first", async () => {
    const created: Project[] = [];
    for (const name of ["First", "Second", "Third"]) created.push(await createProject(server, { name }));

    const answer = await call(server, "GET", "/api/projects");
    expect(answer.status).toBe(200);
    const listed = projectListSchema.parse(answer.body);
    const ids = created.map((project) => project.id);
    expect(listed.filter((project) => ids.includes(project.id))).toEqual(created);
  });

  test("PATCH with the current version renames and bumps the version", async () => {
    const project = await createProject(server, { name: "Draft" });
    const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
      name: "Final",
      version: 1,
    });

    expect(answer.status).toBe(200);
    const updated = projectSchema.parse(answer.body);
    expect(updated).toMatchObject({ id: project.id, name: "Final", status: "active", version: 2 });
    expect(updated.createdAt).toBe(project.createdAt);
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(project.updatedAt));
    expect(await storedProject(project.id)).toMatchObject({ name: "Final", version: 2 });
  });

  test("PATCH can change the status alone", async () => {
    const project = await createProject(server);
    const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
      status: "archived",
      version: 1,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ name: project.name, status: "archived", version: 2 });
  });

  test("PATCH with a stale version is 409 version_conflict with the current row", async () => {
    const project = await createProject(server, { name: "v1" });
    const second = await call(server, "PATCH", `/api/projects/${project.id}`, { name: "v2", version: 1 });
    const stale = await call(server, "PATCH", `/api/projects/${project.id}`, { name: "lost", version: 1 });

    const error = expectError(stale, 409, "version_conflict");
    expect(error.current).toEqual(second.body);
    expect(await storedProject(project.id)).toMatchObject({ name: "v2", version: 2 });
  });

  test("two PATCHes racing on one version: one wins, the other is told of the conflict", async () => {
    const project = await createProject(server);
    const [a, b] = await Promise.all([
      call(server, "PATCH", `/api/projects/${project.id}`, { name: "A", version: 1 }),
      call(server, "PATCH", `/api/projects/${project.id}`, { name: "B", version: 1 }),
    ]);

    expect([a?.status, b?.status].sort()).toEqual([200, 409]);
    const winner = a?.status === 200 ? "A" : "B";
    expect(await storedProject(project.id)).toMatchObject({ name: winner, version: 2 });
  });

  test("PATCH of an unknown project is 404", async () => {
    const answer = await call(server, "PATCH", `/api/projects/${randomUUID()}`, { name: "x", version: 1 });
    expectError(answer, 404, "not_found");
  });

  test("DELETE removes the project and its messages; a second DELETE is 404", async () => {
    const project = await createProject(server);
    const kept = await createProject(server);
    await createMessage(server, project.id);
    await createMessage(server, project.id);
    await createMessage(server, kept.id);

    const answer = await call(server, "DELETE", `/api/projects/${project.id}`);
    expect(answer).toEqual({ status: 200, body: project });

    expect(await storedProject(project.id)).toBeUndefined();
    expect(await server.handle.db.$count(messages, eq(messages.projectId, project.id))).toBe(0);
    expect(await server.handle.db.$count(messages, eq(messages.projectId, kept.id))).toBe(1);
    expectError(await call(server, "GET", `/api/projects/${project.id}/messages`), 404, "not_found");
    expectError(await call(server, "DELETE", `/api/projects/${project.id}`), 404, "not_found");
  });
});
