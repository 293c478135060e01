import { randomUUID } from "node:crypto";
import { type Message, messageSchema } from "@tandem/shared";
import { afterAll, beforeAll, expect, test } from "vitest";
import { useTestServer } from "../../server/test/backends.ts";
import { OWN_ORIGIN } from "../../server/test/http.ts";
import { loadAround, messagesCollection } from "../src/collections/messages.ts";

// The web client's API calls go to a real app (PGlite), as a browser's would.
const server = useTestServer("pglite");
const realFetch = globalThis.fetch;
beforeAll(() => {
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) =>
    server.app.request(String(input), init)) as typeof fetch;
});
afterAll(() => {
  globalThis.fetch = realFetch;
});

async function post<T>(path: string, body: object): Promise<T> {
  const response = await server.app.request(path, {
    method: "POST",
    headers: { origin: OWN_ORIGIN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as T;
}

test("loadAround reads the window centred on a message into the project's collection", async () => {
  const project = await post<{ id: string }>("/api/projects", { id: randomUUID(), name: "Search" });
  const ids: string[] = [];
  for (let i = 1; i <= 9; i++) {
    const message = await post<Message>("/api/messages", {
      id: randomUUID(),
      projectId: project.id,
      content: `#${i}`,
    });
    ids.push(message.id);
  }

  const rows = await loadAround(project.id, ids[4] as string, 5);

  expect(rows.map((row) => messageSchema.parse(row).content)).toEqual(["#3", "#4", "#5", "#6", "#7"]);
  const collection = messagesCollection(project.id);
  expect(ids.map((id) => collection.has(id))).toEqual([
    false,
    false,
    true,
    true,
    true,
    true,
    true,
    false,
    false,
  ]);
});
