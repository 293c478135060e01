import { randomBytes, randomUUID } from "node:crypto";
import { chatUsage, messages } from "@tandem/db/schema";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { createApp } from "../src/app.ts";
import { type SignedIn, signUp } from "./accounts.ts";
import { backends, TEST_AUTH_SECRET, useTestServer } from "./backends.ts";
import { waitFor } from "./chat.ts";
import { FeedReader } from "./feed.ts";
import { answerOf, expectError } from "./http.ts";
import { useScriptedModel } from "./model.ts";
import { readAll } from "./sse.ts";

/** A script message with a tag of its own, so no two tests share the model's per-message state. */
const script = (directives: string) => `${directives} #${randomBytes(4).toString("hex")}`;

const chat = (who: SignedIn, projectId: string, content: string, id: string = randomUUID()) =>
  who.request("POST", "/api/chat", { projectId, message: { id, content } });

describe.each(backends)("per-user limits on %s", (kind) => {
  const model = useScriptedModel();
  const server = useTestServer(kind, {
    auth: { mode: "accounts" },
    assistant: { model, chatDailyLimit: 3 },
    feedConnectionsPerUser: 2,
  });
  const stored = async (id: string) =>
    (await server.handle.db.select().from(messages).where(eq(messages.id, id)))[0];

  test("a third reply at once is 429 generation_limit, on any instance; nothing is stored", async () => {
    const ann = await signUp(server, { name: "Ann" });
    const [one, two, three] = [
      await ann.createProject(),
      await ann.createProject(),
      await ann.createProject(),
    ];
    const held = [script("[pause:1] [tokens:3]"), script("[pause:1] [tokens:3]")];
    const first = await chat(ann, one.id, held[0] ?? "");
    const second = await chat(ann, two.id, held[1] ?? "");
    expect([first.status, second.status]).toEqual([200, 200]);

    const id = randomUUID();
    const third = await answerOf(await chat(ann, three.id, script("[tokens:1]"), id));
    expectError(third, 429, "generation_limit");
    expect(await stored(id)).toBeUndefined();

    // Another instance on the same database counts the same generations.
    const other = {
      app: createApp({
        db: server.handle,
        feed: server.feed,
        assistant: { model },
        auth: { mode: "accounts", secret: TEST_AUTH_SECRET },
      }),
    };
    const elsewhere = await answerOf(
      await other.app.request("/api/chat", {
        method: "POST",
        headers: { origin: "http://localhost", cookie: ann.cookie, "content-type": "application/json" },
        body: JSON.stringify({ projectId: three.id, message: { id, content: "Hi" } }),
      }),
    );
    expectError(elsewhere, 429, "generation_limit");

    // Someone else is not held back by Ann's replies.
    const bob = await signUp(server, { name: "Bob" });
    const bobs = await chat(bob, (await bob.createProject()).id, script("[tokens:1]"));
    expect(bobs.status).toBe(200);
    await readAll(bobs);

    for (const text of held) model.release(text);
    await Promise.all([readAll(first), readAll(second)]);
    const after = await chat(ann, three.id, script("[tokens:2]"));
    expect(after.status).toBe(200);
    await readAll(after);
  });

  test("CHAT_DAILY_LIMIT replies a day per user, retries included; then 429 daily_limit with Retry-After", async () => {
    const cy = await signUp(server, { name: "Cy" });
    const project = await cy.createProject();
    for (let turn = 0; turn < 2; turn++) await readAll(await chat(cy, project.id, script("[tokens:1]")));
    const list = await cy.call("GET", `/api/projects/${project.id}/messages`);
    const reply = (list.body as { id: string; role: string }[]).find(
      (message) => message.role === "assistant",
    );
    const retried = await cy.request("POST", `/api/chat/${reply?.id}/retry`);
    expect(retried.status).toBe(200);
    await readAll(retried);

    const id = randomUUID();
    const response = await chat(cy, project.id, script("[tokens:1]"), id);
    const retryAfter = Number(response.headers.get("retry-after"));
    expectError(await answerOf(response), 429, "daily_limit");
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect(await stored(id)).toBeUndefined();
    expectError(await answerOf(await cy.request("POST", `/api/chat/${reply?.id}/retry`)), 429, "daily_limit");

    // Deleting the messages gives nothing back: the count is kept apart from them.
    await cy.request("DELETE", `/api/projects/${project.id}`);
    const fresh = await cy.createProject();
    expectError(await answerOf(await chat(cy, fresh.id, script("[tokens:1]"))), 429, "daily_limit");
    const [usage] = await server.handle.db.select().from(chatUsage).where(eq(chatUsage.userId, cy.user.id));
    expect(usage?.replies).toBe(3);
  });

  test("more than FEED_MAX_CONNECTIONS_PER_USER feed connections is 429 feed_limit; closing one frees a place", async () => {
    const dee = await signUp(server, { name: "Dee" });
    const feeds = [
      new FeedReader(await dee.request("GET", "/api/changes")),
      new FeedReader(await dee.request("GET", "/api/changes")),
    ];
    const refused = await answerOf(await dee.request("GET", "/api/changes"));
    expectError(refused, 429, "feed_limit");

    // Another user has places of their own.
    const eve = await signUp(server, { name: "Eve" });
    const eves = new FeedReader(await eve.request("GET", "/api/changes"));
    await eves.close();

    await feeds[0]?.close();
    await waitFor("the closed connection to be let go", () => server.feed.connectionsOf(dee.user.id) < 2);
    const again = new FeedReader(await dee.request("GET", "/api/changes"));
    await again.close();
    await feeds[1]?.close();
  });
});
