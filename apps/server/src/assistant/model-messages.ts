import type { Db } from "@tandem/db/client";
import type { MessageRow } from "@tandem/db/schema";
import type { ModelMessage } from "ai";
import { branchBefore, projectInstructions } from "./generation-sql.ts";
import { withinBudget } from "./history-budget.ts";

/**
 * The messages a model is sent to write `reply`: the project's instructions as a system
 * message (when it has any), then the history of the branch it answers (never the other
 * versions), oldest first, the newest that fit in `historyChars`.
 */
export async function modelMessages(
  db: Db,
  reply: MessageRow,
  historyChars: number,
): Promise<ModelMessage[]> {
  const instructions = await projectInstructions(db, reply.projectId);
  const history = withinBudget(await branchBefore(db, reply), historyChars);
  const system: ModelMessage[] =
    instructions.trim() === "" ? [] : [{ role: "system", content: instructions }];
  return [...system, ...history.map(toModelMessage)];
}

function toModelMessage(row: MessageRow): ModelMessage {
  switch (row.role) {
    case "system":
      return { role: "system", content: row.content };
    case "assistant":
      return { role: "assistant", content: row.content };
    default:
      return { role: "user", content: row.content };
  }
}
