import { randomUUID } from "node:crypto";
import { LOCAL_OWNER } from "@tandem/shared";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { rowsOf } from "../src/driver-rows.ts";
import { testMigration } from "./migrations.ts";

testMigration(
  "migration 0009 (message tree)",
  "0009_message_tree",
  "a chat from before versions becomes one branch, and the log's rows name their parents",
  async (handle) => {
    const [chat, other] = [randomUUID(), randomUUID()];
    for (const id of [chat, other]) {
      await handle.db.execute(
        sql`insert into projects (id, name, owner_id) values (${id}, 'Before versions', ${LOCAL_OWNER.id})`,
      );
    }
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) {
      const role = i % 2 === 0 ? "user" : "assistant";
      await handle.db.execute(
        sql`insert into messages (id, project_id, role, content, created_at) values (${id}, ${chat}, ${role}, ${`#${i}`}, now() - ${`${3 - i} minutes`}::interval)`,
      );
    }
    const alone = randomUUID();
    await handle.db.execute(
      sql`insert into messages (id, project_id, role, content) values (${alone}, ${other}, 'user', 'Alone')`,
    );
    const logged = { id: ids[2], projectId: chat, role: "user", content: "#2" };
    await handle.db.execute(
      sql`insert into change_log (entity, op, id, project_id, row) values ('message', 'upsert', ${ids[2]}, ${chat}, ${JSON.stringify(logged)}::jsonb)`,
    );

    await handle.migrate();

    const parents = rowsOf<{ id: string; parent_id: string | null }>(
      await handle.db.execute(sql`select id, parent_id from messages order by created_at`),
    );
    expect(Object.fromEntries(parents.map((row) => [row.id, row.parent_id]))).toEqual({
      [ids[0] as string]: null,
      [ids[1] as string]: ids[0],
      [ids[2] as string]: ids[1],
      [alone]: null,
    });
    const log = rowsOf<{ row: Record<string, unknown> }>(
      await handle.db.execute(sql`select row from change_log where id = ${ids[2]}`),
    );
    expect(log.map((entry) => entry.row)).toEqual([{ ...logged, parentId: ids[1] }]);
  },
);
