import { randomUUID } from "node:crypto";
import type { Message, Project } from "@tandem/shared";

/** Seeds and reads through Tandem's REST API, as any client would. */
export class Api {
  constructor(readonly url: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<T>;
  }

  createProject(name: string): Promise<Project> {
    return this.request("POST", "/api/projects", { id: randomUUID(), name });
  }

  postMessage(projectId: string, content: string): Promise<Message> {
    return this.request("POST", "/api/messages", { id: randomUUID(), projectId, content });
  }

  /** A project holding `count` user messages of chat-like length, sent `concurrency` at a time. */
  async seedProject(name: string, count: number, concurrency = 8): Promise<Project> {
    const project = await this.createProject(name);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await this.postMessage(project.id, seedText(i));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return project;
  }

  /**
   * Sends a message through `POST /api/chat` and reads the reply's stream to its end.
   * Answers the final reply row and the number of text deltas streamed.
   */
  async chat(projectId: string, content: string): Promise<{ reply: Message; deltas: number }> {
    const res = await fetch(`${this.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ projectId, message: { id: randomUUID(), content } }),
    });
    if (!res.ok || !res.body) throw new Error(`POST /api/chat: ${res.status} ${await res.text()}`);
    let reply: Message | undefined;
    let deltas = 0;
    let buffer = "";
    for await (const piece of res.body.pipeThrough(new TextDecoderStream())) {
      buffer += piece;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("data: {")) continue;
        const chunk = JSON.parse(line.slice(6)) as { type: string; data?: Message };
        if (chunk.type === "text-delta") deltas++;
        if (chunk.type === "data-message" && chunk.data?.role === "assistant") reply = chunk.data;
      }
    }
    if (!reply) throw new Error("The chat stream carried no reply row");
    return { reply, deltas };
  }
}

const words = "the plan ship review draft notes bug fix idea test deploy meeting later today release".split(
  " ",
);

/** A message of 40-200 characters, different for every i. */
export function seedText(i: number): string {
  const length = 6 + ((i * 7919) % 30);
  const text = Array.from({ length }, (_, k) => words[(i + k * 31) % words.length]).join(" ");
  return `#${i} ${text}`;
}
