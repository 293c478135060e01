import { randomBytes } from "node:crypto";
import { projects } from "@tandem/db/schema";
import { PROJECT_INSTRUCTIONS_MAX, projectListSchema, projectSchema } from "@tandem/shared";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { TANDEM_SYSTEM_PROMPT } from "../src/assistant/chat-model.ts";
import { backends, useTestServer } from "./backends.ts";
import { postChat, projectMessages, waitFor } from "./chat.ts";
import { openFeedAtHead } from "./feed.ts";
import { call, createProject, expectError, expectInvalid } from "./http.ts";
import { scriptedText, useScriptedModel } from "./model.ts";
import { readAll } from "./sse.ts";

const script = (directives: string) => `${directives} #${randomBytes(4).toString("hex")}`;

describe.each(backends)("project instructions on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, { assistant: { model, flushMs: 20 } });
  const stored = async (id: string) =>
    (await server.handle.db.select().from(projects).where(eq(projects.id, id)))[0];

  test("a new project has none; PATCH sets them, versioned like the name, and the list shows them", async () => {
    const project = await createProject(server, { name: "Docs" });
    expect(project.instructions).toBe("");

    const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Answer in French.\nKeep it short.",
      version: 1,
    });
    expect(answer.status).toBe(200);
    expect(projectSchema.parse(answer.body)).toMatchObject({
      name: "Docs",
      instructions: "Answer in French.\nKeep it short.",
      version: 2,
    });
    expect(await stored(project.id)).toMatchObject({ instructions: "Answer in French.\nKeep it short." });

    const list = projectListSchema.parse((await call(server, "GET", "/api/projects")).body);
    expect(list.find((p) => p.id === project.id)?.instructions).toBe("Answer in French.\nKeep it short.");

    // Cleared again with "": a change like any.
    const cleared = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "",
      version: 2,
    });
    expect(cleared.body).toMatchObject({ instructions: "", version: 3 });
  });

  test("a stale version is 409 with the stored row, and the instructions stay as they were", async () => {
    const project = await createProject(server);
    const first = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Be formal.",
      version: 1,
    });
    const stale = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Be casual.",
      version: 1,
    });
    const error = expectError(stale, 409, "version_conflict");
    expect(error.current).toEqual(first.body);
    expect(await stored(project.id)).toMatchObject({ instructions: "Be formal.", version: 2 });
  });

  test("instructions too long or holding NUL are refused by field, and nothing changes", async () => {
    const project = await createProject(server);
    const tooLong = "x".repeat(PROJECT_INSTRUCTIONS_MAX + 1);
    expectInvalid(
      await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: tooLong, version: 1 }),
      ["instructions"],
    );
    expectInvalid(
      await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: "a\u0000b", version: 1 }),
      ["instructions"],
    );
    expectInvalid(
      await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: 7, version: 1 }),
      ["instructions"],
    );
    expect(await stored(project.id)).toMatchObject({ instructions: "", version: 1 });
    // At the limit exactly is fine.
    const atLimit = "y".repeat(PROJECT_INSTRUCTIONS_MAX);
    const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: atLimit,
      version: 1,
    });
    expect(answer.status).toBe(200);
  });

  test("a change of instructions goes on the feed with the project's row", async () => {
    const project = await createProject(server);
    const { feed } = await openFeedAtHead(server);
    const answer = await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Use metric units.",
      version: 1,
    });
    const [change] = await feed.changes(1);
    expect(change?.event).toEqual({
      entity: "project",
      op: "upsert",
      id: project.id,
      projectId: project.id,
      row: answer.body,
    });
    await feed.close();
  });

  test("the model gets them as the system message of every reply, after Tandem's own, before the history", async () => {
    const project = await createProject(server);
    const first = script("[tokens:2]");
    await readAll(await postChat(server, project.id, first));
    // None yet: only Tandem's own system message.
    expect(model.promptFor(first)).toEqual([
      ["system", TANDEM_SYSTEM_PROMPT],
      ["user", first],
    ]);

    await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Reply in haiku.",
      version: 1,
    });
    const second = script("[tokens:3]");
    await readAll(await postChat(server, project.id, second));
    expect(model.promptFor(second)).toEqual([
      ["system", TANDEM_SYSTEM_PROMPT],
      ["system", "Reply in haiku."],
      ["user", first],
      ["assistant", scriptedText(2)],
      ["user", second],
    ]);

    // Changed: the next reply gets the new ones.
    await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Reply in prose.",
      version: 2,
    });
    const third = script("[tokens:1]");
    await readAll(await postChat(server, project.id, third));
    expect(model.promptFor(third)[1]).toEqual(["system", "Reply in prose."]);

    // White space only is nothing to say.
    await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: " \n ", version: 3 });
    const fourth = script("[tokens:1]");
    await readAll(await postChat(server, project.id, fourth));
    expect(model.promptFor(fourth).filter(([role]) => role === "system")).toEqual([
      ["system", TANDEM_SYSTEM_PROMPT],
    ]);
  });

  test("a retried reply is asked with the project's instructions too", async () => {
    const project = await createProject(server);
    await call(server, "PATCH", `/api/projects/${project.id}`, { instructions: "Be terse.", version: 1 });
    const text = script("[tokens:2]");
    await readAll(await postChat(server, project.id, text));
    const [, reply] = await projectMessages(server, project.id);
    const calls = model.callsFor(text);
    const retry = await server.app.request(`/api/chat/${reply?.id}/retry`, {
      method: "POST",
      headers: { origin: "http://localhost" },
    });
    await readAll(retry);
    await waitFor("the retry's call", () => model.callsFor(text) > calls);
    expect(model.promptFor(text)[1]).toEqual(["system", "Be terse."]);
  });
});

describe.each(backends)("the offline assistant and project instructions on %s", (kind) => {
  const server = useTestServer(kind, { assistant: { tokenDelayMs: 0, flushMs: 20 } });

  test("says it has the project's instructions, and quotes them", async () => {
    const project = await createProject(server);
    await call(server, "PATCH", `/api/projects/${project.id}`, {
      instructions: "Always answer as a pirate.",
      version: 1,
    });
    await readAll(await postChat(server, project.id, "Plan the launch"));
    const [, reply] = await projectMessages(server, project.id);
    expect(reply?.status).toBe("complete");
    expect(reply?.content).toContain("I have this project's instructions");
    expect(reply?.content).toContain("Always answer as a pirate.");
  });

  test("says nothing of instructions when the project has none", async () => {
    const project = await createProject(server);
    await readAll(await postChat(server, project.id, "Plan the launch"));
    const [, reply] = await projectMessages(server, project.id);
    expect(reply?.content).toContain("Tandem's built-in offline assistant");
    expect(reply?.content).not.toContain("instructions");
  });
});
