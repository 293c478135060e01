import type { MessageRole, MessageStatus } from "@tandem/shared";

export interface TranscriptMessage {
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  createdAt: Date;
}

const authors: Record<MessageRole, string> = { user: "User", assistant: "Assistant", system: "System" };

/** Why a reply is not whole, in a few words after its author. */
const endings: Partial<Record<MessageStatus, string>> = {
  streaming: "still being written",
  stopped: "stopped",
  error: "failed",
  interrupted: "cut off",
};

/**
 * A readable Markdown transcript of one branch of a project: its name as the heading,
 * its instructions, then each message under its author and time (UTC). Messages keep
 * their own Markdown; a rule between them keeps one's headings apart from the next.
 */
export function transcript(
  project: { name: string; instructions: string },
  messages: readonly TranscriptMessage[],
  exportedAt: Date,
): string {
  const blocks = [`# ${oneLine(project.name)}`, `Exported from Tandem on ${utc(exportedAt)}.`];
  if (project.instructions.trim() !== "") {
    blocks.push(`## Instructions\n\n${quote(project.instructions)}`);
  }
  if (messages.length === 0) blocks.push("No messages yet.");
  for (const message of messages) {
    const ending = endings[message.status];
    const heading = `## ${authors[message.role]} · ${utc(message.createdAt)}${ending ? ` (${ending})` : ""}`;
    const body = message.content.trim() === "" ? "_(no text)_" : message.content.trimEnd();
    const error = message.error ? `\n\n> ${oneLine(message.error)}` : "";
    blocks.push(`---\n\n${heading}\n\n${body}${error}`);
  }
  return `${blocks.join("\n\n")}\n`;
}

/** "2026-11-30 09:12 UTC". */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim();

const quote = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n");
