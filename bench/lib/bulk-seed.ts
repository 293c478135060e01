import type { Db } from "@tandem/db/client";
import { messages, projectMembers, projects } from "@tandem/db/schema";
import { LOCAL_OWNER } from "@tandem/shared";
import { seedText } from "./api.ts";

export interface SeededRows {
  id: string;
  name: string;
}

/** Rows per INSERT: 5,000 messages × 8 columns stays under Postgres's 65,534 parameters. */
const BATCH = 5_000;

/**
 * `count` user messages in `projectId`, straight into the tables (no API, no change log),
 * oldest first, 1 ms apart, the newest now, one branch (each the parent of the next): for
 * seeding far faster than POST /api/messages.
 */
export async function insertMessages(
  db: Db,
  projectId: string,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const end = Date.now();
  let parentId: string | null = null;
  for (let from = 0; from < count; from += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, count - from) }, (_, k) => {
      const i = from + k;
      const content = seedText(i);
      const at = new Date(end - (count - i));
      const id = crypto.randomUUID();
      const row = {
        id,
        projectId,
        parentId,
        role: "user" as const,
        content,
        parts: [{ type: "text", text: content }],
        createdAt: at,
        updatedAt: at,
      };
      parentId = id;
      return row;
    });
    await db.insert(messages).values(rows);
    onProgress?.(from + rows.length);
  }
}

/** A project of `count` messages, straight into the tables (see insertMessages). */
export async function insertProject(db: Db, name: string, count: number): Promise<SeededRows> {
  const project = { id: crypto.randomUUID(), name };
  // Owned by the local owner, as a project made through the API in AUTH=local is.
  await db.insert(projects).values({ ...project, ownerId: LOCAL_OWNER.id });
  await db.insert(projectMembers).values({ projectId: project.id, userId: LOCAL_OWNER.id, role: "owner" });
  await insertMessages(db, project.id, count);
  return project;
}
