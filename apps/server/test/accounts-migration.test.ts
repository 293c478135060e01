import { randomUUID } from "node:crypto";
import { LOCAL_OWNER } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { rowsOf } from "../src/driver-rows.ts";
import { testMigration } from "./migrations.ts";

testMigration(
  "migration 0004 (accounts)",
  "0004_accounts",
  "a database from before accounts: its projects, members and replies become the local owner's",
  async (handle) => {
    const projectId = randomUUID();
    const messageId = randomUUID();
    await handle.db.execute(sql`insert into projects (id, name) values (${projectId}, 'Before accounts')`);
    await handle.db.execute(
      sql`insert into messages (id, project_id, role, content, status) values (${messageId}, ${projectId}, 'assistant', 'Half', 'streaming')`,
    );
    await handle.db.execute(
      sql`insert into running_processes (id, project_id, message_id, model, instance_id) values (${randomUUID()}, ${projectId}, ${messageId}, 'old', 'gone')`,
    );

    await handle.migrate();

    const owner = rowsOf<{ id: string; email: string; name: string }>(
      await handle.db.execute(sql`select id, email, name from users`),
    );
    expect(owner).toEqual([{ ...LOCAL_OWNER }]);
    const project = rowsOf<{ owner_id: string }>(
      await handle.db.execute(sql`select owner_id from projects where id = ${projectId}`),
    );
    expect(project).toEqual([{ owner_id: LOCAL_OWNER.id }]);
    const members = rowsOf<{ user_id: string; role: string }>(
      await handle.db.execute(sql`select user_id, role from project_members where project_id = ${projectId}`),
    );
    expect(members).toEqual([{ user_id: LOCAL_OWNER.id, role: "owner" }]);
    const processes = rowsOf<{ user_id: string }>(
      await handle.db.execute(sql`select user_id from running_processes where message_id = ${messageId}`),
    );
    expect(processes).toEqual([{ user_id: LOCAL_OWNER.id }]);
  },
);
