import { afterEach, describe, expect, test } from "vitest";
import { LOCAL_OWNER_ID, setStorageUser, storageNames } from "../src/lib/storage-names.ts";

const everyName = () => [
  storageNames.replicaDatabase(),
  storageNames.outboxDatabase(),
  storageNames.outboxChannel(),
  storageNames.outboxSenderLock(),
  storageNames.feedChannel(),
  storageNames.feedLeaderLock(),
  storageNames.failedWrites(),
  storageNames.draft("p1"),
];

describe("the names of a user's local stores", () => {
  afterEach(() => setStorageUser(LOCAL_OWNER_ID));

  test("the local owner keeps the names an install made before accounts", () => {
    setStorageUser(LOCAL_OWNER_ID);
    expect(everyName()).toEqual([
      "tandem-replica",
      "tandem-outbox",
      "tandem-outbox",
      "tandem-outbox-sender",
      "tandem-feed",
      "tandem-feed-leader",
      "tandem:failed-writes",
      "tandem:draft:p1",
    ]);
  });

  test("two users share no name, and each user's draft starts with their prefix", () => {
    setStorageUser("user-a");
    const a = everyName();
    expect(storageNames.draft("p1").startsWith(storageNames.draftPrefix())).toBe(true);
    setStorageUser("user-b");
    const b = everyName();
    for (const name of a) expect(b).not.toContain(name);
    for (const name of a) expect(name).toContain("user-a");
  });
});
