import { randomUUID } from "node:crypto";
import type { ApiType } from "@tandem/server/app";
import type { Message, Project } from "@tandem/shared";
import { hc } from "hono/client";

/** Seeds and reads through Tandem's REST API with the typed client, as the web app does. */
export class Api {
  readonly client: ReturnType<typeof hc<ApiType>>;

  /**
   * `cookie`: a session cookie (`name=value`), for a server in AUTH=accounts. `fetch`:
   * how requests go (Node's own by default; see `keepAliveFetch`).
   */
  constructor(
    readonly url: string,
    cookie?: string,
    fetch?: typeof globalThis.fetch,
  ) {
    // Writes name this server as their Origin, as the app in a browser does (docs/api.md).
    const headers: Record<string, string> = { origin: url };
    if (cookie) headers.cookie = cookie;
    this.client = hc<ApiType>(`${url}/api`, { headers, ...(fetch && { fetch }) });
  }

  async createProject(name: string): Promise<Project> {
    return ok("POST /api/projects", await this.client.projects.$post({ json: { id: randomUUID(), name } }));
  }

  async postMessage(projectId: string, content: string, id: string = randomUUID()): Promise<Message> {
    return ok(
      "POST /api/messages",
      await this.client.messages.$post({ json: { id, projectId, role: "user", content } }),
    );
  }

  /** A project holding `count` user messages of chat-like length, sent `concurrency` at a time. */
  async seedProject(
    name: string,
    count: number,
    { concurrency = 16, onProgress }: { concurrency?: number; onProgress?: (done: number) => void } = {},
  ): Promise<Project> {
    const project = await this.createProject(name);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        await this.postMessage(project.id, seedText(i));
        onProgress?.(++done);
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
    const res = await this.client.chat.$post({ json: { projectId, message: { id: randomUUID(), content } } });
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

/** The body of a successful answer; any other status throws with the server's words. */
async function ok<T>(
  what: string,
  res: { ok: boolean; status: number; text(): Promise<string>; json(): Promise<T> },
) {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res.json();
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
