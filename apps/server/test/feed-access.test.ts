import { randomUUID } from "node:crypto";
import { sessions } from "@tandem/db/schema";
import { eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { type SignedIn, signIn, signUp } from "./accounts.ts";
import { backends, type TestServer, useTestServer } from "./backends.ts";
import { type FeedMessage, FeedReader } from "./feed.ts";

/** The feed as `person`'s browser opens it: from `since`, or from the head. */
async function feedOf(person: SignedIn, since?: string | bigint) {
  const query = since === undefined ? "" : `?since=${since}`;
  const feed = new FeedReader(await person.request("GET", `/api/changes${query}`));
  const ready = await feed.nextEvent();
  expect(ready.type).toBe("ready");
  return feed;
}

/** A short name per event, for exact comparison: "project:upsert:<id>", "member:delete:<projectId>:<userId>", "removed:<id>". */
function named(message: Exclude<FeedMessage, { type: "comment" } | { type: "retry" }>): string {
  switch (message.type) {
    case "ready":
    case "reset":
      return `${message.type} ${message.position}`;
    case "removed":
      return `removed:${message.event.id}`;
    default:
      return `${message.event.entity}:${message.event.op}:${message.event.id}`;
  }
}

/**
 * The events before `person`'s own marker write shows up: a project they make now. Their
 * feed sends in log order, so whatever it would have sent of the writes before the marker
 * (and must not) comes before the marker, and waiting for the marker waits for no timer.
 */
async function eventsUntilMarker(feed: FeedReader, person: SignedIn): Promise<string[]> {
  const marker = await person.createProject({ name: "Marker" });
  const seen: string[] = [];
  for (;;) {
    const name = named(await feed.nextEvent());
    if (name === `project:upsert:${marker.id}`) return seen;
    seen.push(name);
  }
}

async function postMessage(person: SignedIn, projectId: string, content = "hello") {
  const answer = await person.call("POST", "/api/messages", {
    id: randomUUID(),
    projectId,
    role: "user",
    content,
  });
  expect(answer.status).toBe(201);
  return answer.body as { id: string };
}

async function invite(owner: SignedIn, projectId: string, member: SignedIn) {
  const answer = await owner.call("POST", `/api/projects/${projectId}/members`, { email: member.user.email });
  expect(answer.status).toBe(201);
}

async function remove(owner: SignedIn, projectId: string, member: SignedIn) {
  const response = await owner.request("DELETE", `/api/projects/${projectId}/members/${member.user.id}`);
  expect(response.status).toBe(204);
}

describe.each(backends)("the feed carries only what its reader may see, on %s", (kind) => {
  const server: TestServer = useTestServer(kind, {
    auth: { mode: "accounts" },
    // No poll to speak of: changes and sign-outs must arrive by notification.
    feed: { pollMs: 60_000 },
  });

  test("a stranger reading from position 0 gets nothing of another's project", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const stranger = await signUp(server, { name: "Stranger" });
    const project = await owner.createProject({ name: "Private" });
    await postMessage(owner, project.id, "secret");
    await owner.call("PATCH", `/api/projects/${project.id}`, { name: "Still private", version: 1 });

    const feed = await feedOf(stranger, "0");
    expect(await eventsUntilMarker(feed, stranger)).toEqual([]);
    // Live as well: the owner's next write does not reach the stranger either.
    await postMessage(owner, project.id, "another secret");
    expect(await eventsUntilMarker(feed, stranger)).toEqual([]);
    await feed.close();
  });

  test("an invitation lets the project through live, membership first; both then see each other's writes", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const member = await signUp(server, { name: "Member" });
    const project = await owner.createProject({ name: "Shared" });
    await postMessage(owner, project.id, "before the invitation");
    const memberFeed = await feedOf(member);
    const ownerFeed = await feedOf(owner);

    await invite(owner, project.id, member);
    const fromOwner = await postMessage(owner, project.id, "welcome");
    const fromMember = await postMessage(member, project.id, "thanks");
    const expected = [
      `member:upsert:${project.id}:${member.user.id}`,
      `project:upsert:${project.id}`,
      `message:upsert:${fromOwner.id}`,
      `message:upsert:${fromMember.id}`,
    ];
    expect(await eventsUntilMarker(memberFeed, member)).toEqual(expected);
    expect(await eventsUntilMarker(ownerFeed, owner)).toEqual(expected);
    await memberFeed.close();
    await ownerFeed.close();
  });

  test("a removal tells the removed member the project is gone, and nothing of it follows", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const member = await signUp(server, { name: "Member" });
    const project = await owner.createProject({ name: "Shared" });
    await invite(owner, project.id, member);
    const memberFeed = await feedOf(member);
    const ownerFeed = await feedOf(owner);

    await remove(owner, project.id, member);
    const after = await postMessage(owner, project.id, "after the removal");
    expect(await eventsUntilMarker(memberFeed, member)).toEqual([
      `member:delete:${project.id}:${member.user.id}`,
      `removed:${project.id}`,
    ]);
    expect(await eventsUntilMarker(ownerFeed, owner)).toEqual([
      `member:delete:${project.id}:${member.user.id}`,
      `message:upsert:${after.id}`,
    ]);
    await memberFeed.close();
    await ownerFeed.close();
  });

  test("a member who was away during the removal is told of it when they catch up", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const member = await signUp(server, { name: "Member" });
    const project = await owner.createProject({ name: "Shared" });
    await invite(owner, project.id, member);
    const away = await feedOf(member);
    await postMessage(owner, project.id, "seen before going away");
    const seenBefore = await away.nextChange();
    await away.close();

    await postMessage(owner, project.id, "while away");
    await remove(owner, project.id, member);
    await postMessage(owner, project.id, "after the removal");

    const back = await feedOf(member, seenBefore.id);
    expect(await eventsUntilMarker(back, member)).toEqual([
      `member:delete:${project.id}:${member.user.id}`,
      `removed:${project.id}`,
    ]);
    await back.close();
  });

  test("a deleted project reaches every member live, and those who catch up from before it", async () => {
    const owner = await signUp(server, { name: "Owner" });
    const member = await signUp(server, { name: "Member" });
    const project = await owner.createProject({ name: "Doomed" });
    await invite(owner, project.id, member);
    const memberFeed = await feedOf(member);
    const ownerFeed = await feedOf(owner);
    const before = (await postMessage(owner, project.id, "last words")).id;
    const [lastSeenByMember, lastSeenByOwner] = [await memberFeed.nextChange(), await ownerFeed.nextChange()];
    expect([lastSeenByMember.event.id, lastSeenByOwner.event.id]).toEqual([before, before]);

    const response = await owner.request("DELETE", `/api/projects/${project.id}`);
    expect(response.status).toBe(200);
    const forMember = [`member:delete:${project.id}:${member.user.id}`, `removed:${project.id}`];
    const forOwner = [`member:delete:${project.id}:${member.user.id}`, `project:delete:${project.id}`];
    expect(await eventsUntilMarker(memberFeed, member)).toEqual(forMember);
    expect(await eventsUntilMarker(ownerFeed, owner)).toEqual(forOwner);
    await memberFeed.close();
    await ownerFeed.close();

    // Away during the delete: their memberships, read when they come back, no longer
    // name the project, yet each is told it is gone (then their own first marker follows).
    const memberBack = await feedOf(member, lastSeenByMember.id);
    expect((await eventsUntilMarker(memberBack, member)).slice(0, 2)).toEqual(forMember);
    const ownerBack = await feedOf(owner, lastSeenByOwner.id);
    expect((await eventsUntilMarker(ownerBack, owner)).slice(0, 1)).toEqual([`project:delete:${project.id}`]);
    await memberBack.close();
    await ownerBack.close();
  });

  test("signing out ends that session's feed connections, not those of the same person's other sessions", async () => {
    const person = await signUp(server, { name: "Person" });
    const otherDevice = await signIn(server, person.user.email);
    if (otherDevice instanceof Response) throw new Error(`Signing in again failed: ${otherDevice.status}`);
    const feed = await feedOf(person);
    const otherFeed = await feedOf(otherDevice);

    const response = await person.request("POST", "/api/auth/sign-out");
    expect(response.status).toBe(200);
    await feed.ended();
    // The other session's connection is still open and live.
    expect(await eventsUntilMarker(otherFeed, otherDevice)).toEqual([]);
    await otherFeed.close();
    // A new connection with the old cookie is refused.
    expect((await person.request("GET", "/api/changes")).status).toBe(401);
  });
});

describe.each(backends)("the feed's check of its sessions, on %s", (kind) => {
  const server: TestServer = useTestServer(kind, { auth: { mode: "accounts" }, feed: { pollMs: 100 } });

  test("a session that ends without a word (deleted, expired) ends its connections at the next check", async () => {
    const person = await signUp(server, { name: "Person" });
    const feed = await feedOf(person);
    // No notification: as when the session is revoked by hand, or expires.
    await server.handle.db.delete(sessions).where(eq(sessions.userId, person.user.id));
    await feed.ended();
  });
});
