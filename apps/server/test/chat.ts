import { randomUUID } from "node:crypto";
import { messages, runningProcesses } from "@tandem/db/schema";
import type { MessagePart } from "@tandem/shared";
import { asc, eq } from "drizzle-orm";
import type { TestServer } from "./backends.ts";
import { client, OWN_ORIGIN, type WithApp } from "./http.ts";

/** POST /api/chat with a new user message (or the given one); answers the raw response. */
export function postChat(
  server: WithApp,
  projectId: string,
  message: { id?: string; content?: string; parts?: MessagePart[] } | string,
): Promise<Response> {
  const body =
    typeof message === "string" ? { id: randomUUID(), content: message } : { id: randomUUID(), ...message };
  return client(server).chat.$post({ json: { projectId, message: body } });
}

export const chatPost = async (server: WithApp, path: string) =>
  server.app.request(path, { method: "POST", headers: { origin: OWN_ORIGIN } });

export async function storedMessage(server: Pick<TestServer, "handle">, id: string) {
  const [row] = await server.handle.db.select().from(messages).where(eq(messages.id, id));
  return row;
}

export async function projectMessages(server: Pick<TestServer, "handle">, projectId: string) {
  return server.handle.db
    .select()
    .from(messages)
    .where(eq(messages.projectId, projectId))
    .orderBy(asc(messages.createdAt), asc(messages.id));
}

export async function processesOf(server: Pick<TestServer, "handle">, messageId: string) {
  return server.handle.db
    .select()
    .from(runningProcesses)
    .where(eq(runningProcesses.messageId, messageId))
    .orderBy(asc(runningProcesses.startedAt));
}

/** Polls `check` until it answers something other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 15_000, everyMs = 20 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
