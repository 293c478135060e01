import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { MESSAGES_PAGE_MAX, type Message, messageListSchema } from "@tandem/shared";
import { builtServerArgs } from "@tandem/testing/built-server";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { INTERRUPTED_ERROR } from "../src/assistant/generation-sql.ts";
import { offlineReply } from "../src/assistant/offline-reply.ts";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { type FeedMessage, FeedReader } from "./feed.ts";
import { killStarted, type RunningServer, repoRoot, SERVER_START_MS, startServer } from "./processes.ts";
import { deltaText, SseReader, shape } from "./sse.ts";

async function reply(server: RunningServer, projectId: string): Promise<Message | undefined> {
  const response = await server.api.projects[":id"].messages.$get({
    param: { id: projectId },
    query: { limit: String(MESSAGES_PAGE_MAX) },
  });
  return messageListSchema.parse(await response.json()).find((message) => message.role === "assistant");
}

/** Everything a feed sends until the server ends it. */
async function readToEnd(feed: FeedReader): Promise<FeedMessage[]> {
  const messages: FeedMessage[] = [];
  for (;;) {
    try {
      messages.push(await feed.next({ timeoutMs: 30_000 }));
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("The feed ended")) return messages;
      throw error;
    }
  }
}

const changeIds = (messages: FeedMessage[]) =>
  messages.flatMap((message) => (message.type === "change" ? [message.id] : []));

describe.each(backends)("the server process on %s", (kind) => {
  let database: TestDatabase | undefined;
  let env: Record<string, string | undefined> = {};
  const started: RunningServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind, { onDisk: true });
    env = { DATABASE_URL: database.env.DATABASE_URL, DATA_DIR: database.env.DATA_DIR };
  });

  afterEach(() => killStarted(started));

  afterAll(async () => {
    await database?.drop();
  });

  const start = async (extra: Record<string, string> = {}) => {
    const server = await startServer({ ...env, ...extra });
    started.push(server);
    return server;
  };

  /** A project and a chat message on `server`; answers the reply's stream, read up to some text. */
  async function chatOn(server: RunningServer, content: string) {
    const projectId = randomUUID();
    const project = await server.api.projects.$post({ json: { id: projectId, name: "Crash test" } });
    expect(project.status).toBe(201);
    const response = await server.api.chat.$post({
      json: { projectId, message: { id: randomUUID(), content } },
    });
    const stream = new SseReader(response);
    let deltas = 0;
    await stream.until((chunk) => chunk.type === "text-delta" && ++deltas >= 3);
    return { projectId, stream };
  }

  test(
    "killed mid-reply (kill -9) and started again: the reply ends interrupted with its partial text",
    async () => {
      const content = "Please check the plan. Is it sound?";
      const full = offlineReply(content);
      const first = await start();
      const { projectId, stream } = await chatOn(first, content);
      const partial = await waitFor("a batch of text in the database", async () => {
        const message = await reply(first, projectId);
        return message?.status === "streaming" && message.content !== "" && message;
      });

      first.child.kill("SIGKILL");
      await once(first.child, "exit");
      await expect(stream.rest()).rejects.toThrow();

      const second = await start();
      const ended = await waitFor("the reply to leave streaming", async () => {
        const message = await reply(second, projectId);
        return message?.status !== "streaming" && message;
      });
      expect(ended).toMatchObject({ status: "interrupted", error: INTERRUPTED_ERROR });
      expect(ended.content.length).toBeGreaterThanOrEqual(partial.content.length);
      expect(ended.content.length).toBeLessThan(full.length);
      expect(full.startsWith(ended.content)).toBe(true);
      expect(
        (await second.api.chat[":messageId"].stream.$get({ param: { messageId: ended.id } })).status,
      ).toBe(204);
    },
    2 * SERVER_START_MS + 30_000,
  );

  test(
    "stopped with SIGTERM mid-reply: the reply is stored interrupted with all its text, and the stream ends cleanly",
    async () => {
      const content = "Summarise this for me.";
      const first = await start();
      const { projectId, stream } = await chatOn(first, content);

      first.child.kill("SIGTERM");
      const chunks = await stream.rest();
      const [code] = await once(first.child, "exit");
      expect(code).toBe(0);
      expect(shape(chunks).slice(-4)).toEqual([
        "text-end",
        "error",
        "data-message:assistant:interrupted",
        "finish",
      ]);

      const second = await start();
      const stored = await reply(second, projectId);
      expect(stored).toMatchObject({
        status: "interrupted",
        content: deltaText(chunks),
        error: INTERRUPTED_ERROR,
      });
      expect(offlineReply(content).startsWith(stored?.content ?? "-")).toBe(true);
    },
    2 * SERVER_START_MS + 30_000,
  );

  test(
    "with no model configured, a reply is the offline assistant's, complete",
    async () => {
      const server = await startServer({ ...env, ASSISTANT_TOKEN_DELAY_MS: "0" });
      started.push(server);
      const content = "How do I connect Ollama?";
      const { projectId, stream } = await chatOn(server, content);
      const chunks = await stream.rest();
      expect(deltaText(chunks)).toBe(offlineReply(content));
      expect(await reply(server, projectId)).toMatchObject({
        status: "complete",
        content: offlineReply(content),
      });
    },
    SERVER_START_MS + 30_000,
  );

  test(
    "AI_BASE_URL without AI_MODEL stops start-up with a clear message",
    async () => {
      const child = spawn(process.execPath, builtServerArgs, {
        cwd: repoRoot,
        env: { ...process.env, ...env, PORT: "0", AI_BASE_URL: "http://127.0.0.1:11434/v1", AI_MODEL: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout?.on("data", (data) => {
        output += data;
      });
      child.stderr?.on("data", (data) => {
        output += data;
      });
      const [code] = await once(child, "exit");
      expect(code).toBe(1);
      expect(output).toContain("AI_MODEL: is required when AI_BASE_URL is set");
    },
    SERVER_START_MS,
  );

  test(
    "during a reply and with open feeds: exits 0, the reply is stored whole, feeds end with a retry hint and resume without a gap",
    async () => {
      // Time enough for the reply to finish on a busy machine.
      const first = await start({
        ASSISTANT_TOKEN_DELAY_MS: "20",
        FEED_KEEPALIVE_MS: "200",
        SHUTDOWN_TIMEOUT_MS: "60000",
      });
      const feeds = [
        new FeedReader(await fetch(`${first.url}/api/changes`)),
        new FeedReader(await fetch(`${first.url}/api/changes`)),
      ];
      const readies = await Promise.all(feeds.map((feed) => feed.nextEvent()));
      const from = readies[0]?.id ?? "";
      expect(readies.map((ready) => ready.type)).toEqual(["ready", "ready"]);

      const projectId = randomUUID();
      const project = await first.api.projects.$post({ json: { id: projectId, name: "Stopping" } });
      expect(project.status).toBe(201);
      const content = "Summarise this for me.";
      const stream = new SseReader(
        await first.api.chat.$post({ json: { projectId, message: { id: randomUUID(), content } } }),
      );
      let deltas = 0;
      await stream.until((chunk) => chunk.type === "text-delta" && ++deltas >= 3);

      first.child.kill("SIGTERM");
      const [before, chunks, [code]] = await Promise.all([
        Promise.all(feeds.map(readToEnd)),
        stream.rest(),
        once(first.child, "exit"),
      ]);
      expect(code).toBe(0);
      // The reply ran to its end while the server stopped taking new work.
      expect(shape(chunks).slice(-3)).toEqual(["text-end", "data-message:assistant:complete", "finish"]);
      expect(deltaText(chunks)).toBe(offlineReply(content));
      for (const messages of before) expect(messages.at(-1)).toEqual({ type: "retry", ms: 1000 });

      const second = await start({ FEED_KEEPALIVE_MS: "200" });
      const listed = await second.api.projects[":id"].messages.$get({
        param: { id: projectId },
        query: { limit: String(MESSAGES_PAGE_MAX) },
      });
      const stored = messageListSchema
        .parse(await listed.json())
        .find((message) => message.role === "assistant");
      expect(stored).toMatchObject({ status: "complete", content: offlineReply(content) });

      // Each client comes back with its last id; a change made now follows what it had, with
      // nothing missed or repeated: the same positions a fresh read from the start gives.
      const resumed = await Promise.all(
        feeds.map(
          async (feed) =>
            new FeedReader(
              await fetch(`${second.url}/api/changes`, { headers: { "last-event-id": feed.lastId ?? "" } }),
            ),
        ),
      );
      const renamed = await second.api.projects[":id"].$patch({
        param: { id: projectId },
        json: { name: "Stopped", version: 1 },
      });
      expect(renamed.status).toBe(200);
      const fresh = new FeedReader(await fetch(`${second.url}/api/changes?since=${from}`));
      const readUntilRename = async (feed: FeedReader) => {
        const messages: FeedMessage[] = [];
        await waitFor("the rename on the feed", async () => {
          const message = await feed.nextEvent();
          messages.push(message);
          return message.type === "change" &&
            message.event.entity === "project" &&
            message.event.op === "upsert"
            ? message.event.row.name === "Stopped"
            : undefined;
        });
        return messages;
      };
      const all = await readUntilRename(fresh);
      for (const [index, feed] of resumed.entries()) {
        const after = await readUntilRename(feed);
        expect(after[0]).toMatchObject({ type: "ready", id: feeds[index]?.lastId });
        // Nothing twice, in order; after the reconnect, exactly what the log holds past the
        // last id (a finished reply's progress entries before it may have been compacted).
        const seen = [...changeIds(before[index] ?? []), ...changeIds(after)].map(BigInt);
        expect(seen.every((position, at) => at === 0 || position > (seen[at - 1] ?? 0n))).toBe(true);
        const lastId = BigInt(feeds[index]?.lastId ?? "0");
        expect(changeIds(after)).toEqual(changeIds(all).filter((position) => BigInt(position) > lastId));
        await feed.close();
      }
      await fresh.close();
    },
    2 * SERVER_START_MS + 60_000,
  );
});
