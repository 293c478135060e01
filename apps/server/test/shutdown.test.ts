import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { MESSAGES_PAGE_MAX, messageListSchema } from "@tandem/shared";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { offlineReply } from "../src/assistant/offline-reply.ts";
import { backends, createTestDatabase, type TestDatabase } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { type FeedMessage, FeedReader } from "./feed.ts";
import { type RunningServer, SERVER_START_MS, startServer } from "./processes.ts";
import { deltaText, SseReader, shape } from "./sse.ts";

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

describe.each(backends)("SIGTERM to the server process on %s", (kind) => {
  let database: TestDatabase | undefined;
  let env: Record<string, string | undefined> = {};
  const started: RunningServer[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind, { onDisk: true });
    env = {
      DATABASE_URL: database.env.DATABASE_URL,
      DATA_DIR: database.env.DATA_DIR,
      ASSISTANT_TOKEN_DELAY_MS: "20",
      FEED_KEEPALIVE_MS: "200",
      // Time enough for the reply to finish on a busy machine.
      SHUTDOWN_TIMEOUT_MS: "60000",
    };
  });

  afterEach(async () => {
    for (const server of started.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill("SIGKILL");
        await once(server.child, "exit");
      }
    }
  });

  afterAll(async () => {
    await database?.drop();
  });

  const start = async () => {
    const server = await startServer(env);
    started.push(server);
    return server;
  };

  test(
    "during a reply and with open feeds: exits 0, the reply is stored whole, feeds end with a retry hint and resume without a gap",
    async () => {
      const first = await start();
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

      const second = await start();
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
