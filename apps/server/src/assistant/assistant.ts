import { randomUUID } from "node:crypto";
import type { DbHandle } from "@tandem/db/client";
import type { MessageRow } from "@tandem/db/schema";
import { type ChatRequest, MESSAGE_CONTENT_MAX, textOfParts, textParts } from "@tandem/shared";
import type { UIMessageChunk } from "ai";
import { ApiError, notFound } from "../http/api-error.ts";
import { Generation } from "./generation.ts";
import type { ChatModel } from "./model.ts";
import { OfflineModel } from "./offline-model.ts";
import { type OpenReply, type ReplyEnd, replyStream } from "./reply-stream.ts";
import {
  beginChat,
  beginRetry,
  type EndStatus,
  interruptStale,
  type NewGeneration,
  notStreaming,
  readMessage,
  stopElsewhere,
} from "./store.ts";

export interface AssistantSettings {
  /** The offline model's pace (used only when no `model` is given). */
  tokenDelayMs: number;
  /** How often a growing reply's text is written to its row. */
  flushMs: number;
  /** How often a running generation's heartbeat is written. */
  heartbeatMs: number;
  /** A generation whose heartbeat is older than this is taken for dead. */
  staleMs: number;
  /** How often a follower of a generation on another instance reads its row. */
  followPollMs: number;
}

export interface AssistantOptions extends Partial<AssistantSettings> {
  /** The model that writes replies; the built-in offline assistant when omitted. */
  model?: ChatModel | undefined;
}

export const defaultAssistantSettings: AssistantSettings = {
  tokenDelayMs: 20,
  flushMs: 250,
  heartbeatMs: 2000,
  staleMs: 10_000,
  followPollMs: 250,
};

/**
 * The assistant of one server instance: starts generations, lets HTTP responses follow
 * them (here or, through the database, on another instance), stops and retries them, and
 * sweeps up the generations of instances that died.
 */
export class Assistant {
  readonly instanceId = randomUUID();
  readonly settings: AssistantSettings;
  readonly model: ChatModel;
  readonly #handle: DbHandle;
  /** The generations this instance runs, by assistant message id. */
  readonly #running = new Map<string, Generation>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closing = false;

  constructor(handle: DbHandle, options: AssistantOptions = {}) {
    const { model, ...settings } = options;
    this.#handle = handle;
    this.settings = {
      ...defaultAssistantSettings,
      ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
    };
    this.model = model ?? new OfflineModel({ tokenDelayMs: this.settings.tokenDelayMs });
  }

  get #db() {
    return this.#handle.db;
  }

  get #owner() {
    return { model: this.model.modelId, instanceId: this.instanceId, staleMs: this.settings.staleMs };
  }

  /** POST /api/chat: stores the user's message and streams the reply (a retry streams the same reply). */
  async chat(request: ChatRequest): Promise<ReadableStream<UIMessageChunk>> {
    const { message } = request;
    const content = message.content ?? textOfParts(message.parts ?? []);
    if (content.length > MESSAGE_CONTENT_MAX) {
      throw new ApiError("invalid_input", "The request body is not valid", {
        details: [
          { path: "message.parts", message: `must hold at most ${MESSAGE_CONTENT_MAX} characters of text` },
        ],
      });
    }
    const begun = await beginChat(
      this.#db,
      {
        projectId: request.projectId,
        messageId: message.id,
        content,
        parts: message.parts ?? textParts(content),
      },
      this.#owner,
    );
    if (begun.kind === "answered") return replyStream(this.#openExisting(begun.reply), { user: begun.user });
    const generation = this.#launch(begun);
    return replyStream((sink) => generation.follow(sink), { user: begun.user });
  }

  /** POST /api/chat/:id/retry: writes an ended reply again, from the messages before it. */
  async retry(messageId: string): Promise<ReadableStream<UIMessageChunk>> {
    const generation = this.#launch(await beginRetry(this.#db, messageId, this.#owner));
    return replyStream((sink) => generation.follow(sink));
  }

  /** GET /api/chat/:id/stream: the reply so far and its live tail; undefined when it is not being written. */
  async follow(messageId: string): Promise<ReadableStream<UIMessageChunk> | undefined> {
    const local = this.#running.get(messageId);
    if (local && !local.end) return replyStream((sink) => local.follow(sink));
    const row = await readMessage(this.#db, messageId);
    if (!row) throw notFound("Message", messageId);
    if (row.status !== "streaming") return undefined;
    return replyStream(this.#openExisting(row));
  }

  /** POST /api/chat/:id/stop: ends the reply wherever it is written; answers its final row. */
  async stop(messageId: string): Promise<MessageRow> {
    const local = this.#running.get(messageId);
    if (local && !local.end) {
      local.stop("stop");
      const end = await local.done;
      if (!end.row) throw notFound("Message", messageId);
      return end.row;
    }
    const row = await readMessage(this.#db, messageId);
    if (!row) throw notFound("Message", messageId);
    if (row.status !== "streaming") throw notStreaming(row);
    return stopElsewhere(this.#db, messageId);
  }

  /**
   * At start-up: interrupts what dead instances left running. With PGlite this process
   * is the only one that can have written to the data directory, so everything running
   * is dead; with Postgres only what has a stale heartbeat.
   */
  async recover(): Promise<string[]> {
    return interruptStale(this.#db, {
      staleMs: this.#handle.kind === "pglite" ? "all" : this.settings.staleMs,
    });
  }

  /** Sweeps stale generations of other instances every few seconds, until `shutdown`. */
  startSweeper() {
    if (this.#sweeper) return;
    const every = Math.max(500, Math.min(5000, Math.floor(this.settings.staleMs / 2)));
    let sweeping = false;
    this.#sweeper = setInterval(async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        await interruptStale(this.#db, { staleMs: this.settings.staleMs });
      } catch (error) {
        console.error("Sweeping stale generations failed:", error);
      } finally {
        sweeping = false;
      }
    }, every);
    this.#sweeper.unref();
  }

  /** Ends this instance's generations as interrupted, keeping their text, and stops sweeping. */
  async shutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const running = [...this.#running.values()];
    for (const generation of running) generation.stop("shutdown");
    await Promise.all(running.map((generation) => generation.done));
  }

  /** The generation of a reply this instance runs, while it runs (for tests and diagnostics). */
  generation(messageId: string): Generation | undefined {
    return this.#running.get(messageId);
  }

  #launch({ reply, process }: NewGeneration): Generation {
    const generation = new Generation(this.#db, this.model, reply, process.id, this.settings);
    this.#running.set(reply.id, generation);
    if (this.#closing) generation.stop("shutdown");
    void generation.run().finally(() => {
      if (this.#running.get(reply.id) === generation) this.#running.delete(reply.id);
    });
    return generation;
  }

  /** A reply this request did not start: followed here, through the database, or replayed once ended. */
  #openExisting(reply: MessageRow): OpenReply {
    const local = this.#running.get(reply.id);
    if (local) return (sink) => local.follow(sink);
    if (reply.status !== "streaming") {
      return (sink) => {
        sink.end(endOf(reply));
        return { row: reply, text: reply.content, close: () => {} };
      };
    }
    return (sink) => this.#poll(reply, sink);
  }

  /**
   * Follows a reply written by another instance by reading its row every `followPollMs`
   * until it is no longer streaming (the live-sync issue will bring NOTIFY instead).
   */
  #poll(reply: MessageRow, sink: Parameters<OpenReply>[0]) {
    let text = reply.content;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let closed = false;
    const read = async () => {
      if (closed) return;
      try {
        const row = await readMessage(this.#db, reply.id);
        if (closed) return;
        if (!row) {
          sink.end({
            status: "error",
            error: "The message was deleted while it was being written",
            row: undefined,
          });
          return;
        }
        if (row.content.length > text.length && row.content.startsWith(text)) {
          sink.delta(row.content.slice(text.length));
          text = row.content;
        }
        if (row.status !== "streaming") {
          sink.end(endOf(row));
          return;
        }
      } catch (error) {
        console.error(`Following reply ${reply.id} failed; trying again:`, error);
      }
      timer = setTimeout(read, this.settings.followPollMs);
    };
    timer = setTimeout(read, this.settings.followPollMs);
    return {
      row: reply,
      text,
      close: () => {
        closed = true;
        clearTimeout(timer);
      },
    };
  }
}

function endOf(row: MessageRow): ReplyEnd {
  return { status: row.status as EndStatus, error: row.error, row };
}
