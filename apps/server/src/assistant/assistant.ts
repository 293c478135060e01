import { randomUUID } from "node:crypto";
import type { DbHandle } from "@tandem/db/client";
import type { MessageRow } from "@tandem/db/schema";
import { type ChatRequest, MESSAGE_CONTENT_MAX, textOfParts, textParts } from "@tandem/shared";
import type { UIMessageChunk } from "ai";
import { visibleMessage } from "../access.ts";
import { FeedHub } from "../feed/hub.ts";
import { ApiError, notFound } from "../http/api-error.ts";
import { describeError } from "../http/database-error.ts";
import { log } from "../log.ts";
import { fromMessage } from "../rows.ts";
import { defaults } from "../settings.ts";
import type { ChatModel } from "./chat-model.ts";
import { Generation } from "./generation.ts";
import {
  type BeginChatResult,
  beginChat,
  beginRegenerate,
  beginRetry,
  type EndStatus,
  type GenerationRequester,
  interruptStale,
  type NewGeneration,
  notStreaming,
  readMessage,
  stopElsewhere,
} from "./generation-sql.ts";
import { OfflineModel } from "./offline-model.ts";
import {
  type OpenReply,
  type ReplyEnd,
  type ReplyFeed,
  type ReplySink,
  replyStream,
} from "./reply-stream.ts";

export interface AssistantSettings {
  /** The offline model's pace (used only when no `model` is given). */
  tokenDelayMs: number;
  /** How often a growing reply's text is written to its row. */
  flushMs: number;
  /** How often a running generation's heartbeat is written. */
  heartbeatMs: number;
  /** A generation whose heartbeat is older than this is taken for dead. */
  staleMs: number;
  /** The limits of every model call. */
  maxOutputTokens: number;
  chunkTimeoutMs: number;
  timeoutMs: number;
  historyChars: number;
  /** Generations one user may have running at once (across instances). */
  maxRunningPerUser: number;
  /** Generations one user may start per UTC day (CHAT_DAILY_LIMIT). */
  chatDailyLimit: number;
}

export interface AssistantOptions extends Partial<AssistantSettings> {
  /** The model that writes replies; the built-in offline assistant when omitted. */
  model?: ChatModel | undefined;
  /**
   * This instance's change feed: replies written by another instance are followed through
   * it. Omitted, the assistant makes one of its own and closes it on `shutdown`.
   */
  feed?: FeedHub | undefined;
}

const defaultAssistantSettings: AssistantSettings = {
  tokenDelayMs: defaults.tokenDelayMs,
  flushMs: defaults.flushMs,
  heartbeatMs: defaults.heartbeatMs,
  staleMs: defaults.staleMs,
  maxOutputTokens: defaults.modelMaxOutputTokens,
  chunkTimeoutMs: defaults.modelChunkTimeoutMs,
  timeoutMs: defaults.modelTimeoutMs,
  historyChars: defaults.modelHistoryChars,
  maxRunningPerUser: defaults.generationsPerUser,
  chatDailyLimit: defaults.chatDailyLimit,
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
  readonly feed: FeedHub;
  readonly #ownsFeed: boolean;
  readonly #handle: DbHandle;
  /** The generations this instance runs, by assistant message id. */
  readonly #running = new Map<string, Generation>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closing = false;

  constructor(handle: DbHandle, options: AssistantOptions = {}) {
    const { model, feed, ...settings } = options;
    this.#handle = handle;
    this.feed = feed ?? new FeedHub(handle);
    this.#ownsFeed = feed === undefined;
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

  #requester(userId: string): GenerationRequester {
    return { userId, maxRunning: this.settings.maxRunningPerUser, dailyLimit: this.settings.chatDailyLimit };
  }

  /**
   * POST /api/chat: stores the user's message and streams the reply, or (regenerate)
   * streams another reply to a user message. A retry of either streams the same reply.
   */
  async chat(request: ChatRequest, userId: string): Promise<ReadableStream<UIMessageChunk>> {
    const { message, regenerate } = request;
    let begun: BeginChatResult;
    if (regenerate) {
      begun = await beginRegenerate(
        this.#db,
        this.feed,
        { projectId: request.projectId, ...regenerate },
        this.#owner,
        this.#requester(userId),
      );
    } else if (message) {
      const content = message.content ?? textOfParts(message.parts ?? []);
      if (content.length > MESSAGE_CONTENT_MAX) {
        throw new ApiError("invalid_input", "The request body is not valid", {
          details: [
            { path: "message.parts", message: `must hold at most ${MESSAGE_CONTENT_MAX} characters of text` },
          ],
        });
      }
      begun = await beginChat(
        this.#db,
        this.feed,
        {
          projectId: request.projectId,
          messageId: message.id,
          parentId: message.parentId,
          edits: message.edits,
          content,
          parts: message.parts ?? textParts(content),
        },
        this.#owner,
        this.#requester(userId),
      );
    } else {
      throw new Error("The request schema lets through neither message nor regenerate");
    }
    if (begun.kind === "answered") return replyStream(this.#openExisting(begun.reply), { user: begun.user });
    const generation = this.#launch(begun);
    return replyStream((sink) => generation.follow(sink), { user: begun.user });
  }

  /** POST /api/chat/:id/retry: writes an ended reply again, from the messages before it. */
  async retry(messageId: string, userId: string): Promise<ReadableStream<UIMessageChunk>> {
    const generation = this.#launch(
      await beginRetry(this.#db, this.feed, messageId, this.#owner, this.#requester(userId)),
    );
    return replyStream((sink) => generation.follow(sink));
  }

  /** GET /api/chat/:id/stream: the reply so far and its live tail; undefined when it is not being written. */
  async follow(messageId: string, userId: string): Promise<ReadableStream<UIMessageChunk> | undefined> {
    const row = await visibleMessage(this.#db, messageId, userId);
    const local = this.#running.get(messageId);
    if (local && !local.end) return replyStream((sink) => local.follow(sink));
    if (row.status !== "streaming") return undefined;
    return replyStream(this.#openExisting(row));
  }

  /** POST /api/chat/:id/stop: ends the reply wherever it is written; answers its final row. */
  async stop(messageId: string, userId: string): Promise<MessageRow> {
    const visible = await visibleMessage(this.#db, messageId, userId);
    const local = this.#running.get(messageId);
    if (local && !local.end) {
      local.stop("stop");
      const end = await local.done;
      if (!end.row) throw notFound("Message", messageId);
      return end.row;
    }
    if (visible.status !== "streaming") throw notStreaming(visible);
    return stopElsewhere(this.#db, this.feed, messageId);
  }

  /**
   * At start-up: interrupts what dead instances left running. With PGlite this process
   * is the only one that can have written to the data directory, so everything running
   * is dead; with Postgres only what has a stale heartbeat.
   */
  async recover(): Promise<string[]> {
    return interruptStale(this.#db, this.feed, {
      staleMs: this.#handle.kind === "pglite" ? "all" : this.settings.staleMs,
    });
  }

  /** Sweeps stale generations of other instances every few seconds, until `shutdown`. */
  startSweeper() {
    if (this.#sweeper) return;
    const every = Math.max(500, Math.min(5000, Math.floor(this.settings.staleMs / 2)));
    let sweeping = false;
    let failing = false;
    this.#sweeper = setInterval(async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        await interruptStale(this.#db, this.feed, {
          staleMs: this.settings.staleMs,
          exceptInstance: this.instanceId,
        });
        failing = false;
      } catch (error) {
        // Once per outage: the database's own retries say the rest.
        if (!failing) log.error(`Sweeping stale generations failed: ${describeError(error)}`);
        failing = true;
      } finally {
        sweeping = false;
      }
    }, every);
    this.#sweeper.unref();
  }

  /**
   * Stops sweeping and starting replies; lets this instance's running replies finish for
   * up to `graceMs` (none by default), then ends the rest as interrupted, their text kept;
   * resolves once every one is stored. Closes the feed if it made it.
   */
  async shutdown({ graceMs = 0 }: { graceMs?: number } = {}): Promise<void> {
    this.#closing = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const running = [...this.#running.values()];
    const stored = Promise.all(running.map((generation) => generation.done));
    if (graceMs > 0 && running.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stored, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    for (const generation of running) generation.stop("shutdown");
    await stored;
    if (this.#ownsFeed) await this.feed.close();
  }

  /** Replies this instance is writing now. */
  get runningCount(): number {
    return this.#running.size;
  }

  /** The generation of a reply this instance runs, while it runs (for tests and diagnostics). */
  generation(messageId: string): Generation | undefined {
    return this.#running.get(messageId);
  }

  #launch({ reply, process }: NewGeneration): Generation {
    const generation = new Generation(this.#db, this.feed, this.model, reply, process.id, this.settings);
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
    return (sink) => this.#followElsewhere(reply, sink);
  }

  /**
   * Follows a reply written by another instance through this instance's change feed:
   * every batch it writes is a change of its row. The row is read again once watching,
   * so a batch written since the caller read it is not missed.
   */
  async #followElsewhere(reply: MessageRow, sink: ReplySink): Promise<ReplyFeed> {
    let version = reply.version;
    let text = reply.content;
    let ended = false;
    const apply = (row: MessageRow | undefined) => {
      if (ended) return;
      if (!row) {
        ended = true;
        stop();
        sink.end({
          status: "error",
          error: "The message was deleted while it was being written",
          row: undefined,
        });
        return;
      }
      if (row.version <= version) return;
      version = row.version;
      if (row.content.length > text.length && row.content.startsWith(text)) {
        sink.delta(row.content.slice(text.length));
        text = row.content;
      }
      if (row.status !== "streaming") {
        ended = true;
        stop();
        sink.end(endOf(row));
      }
    };
    const reread = () =>
      readMessage(this.#db, reply.id).then(apply, (error) =>
        log.error(`Following reply ${reply.id} failed: ${describeError(error)}`),
      );
    const stop = await this.feed.watch({
      change: ({ event }) => {
        // A project's delete takes its messages with it, in one event.
        const projectGone =
          event.entity === "project" && event.op === "delete" && event.id === reply.projectId;
        if (projectGone) return apply(undefined);
        if (event.entity !== "message" || event.id !== reply.id) return;
        apply(event.op === "delete" ? undefined : fromMessage(event.row));
      },
      reset: () => void reread(),
    });
    void reread();
    return {
      row: reply,
      text: reply.content,
      close: () => {
        ended = true;
        stop();
      },
    };
  }
}

function endOf(row: MessageRow): ReplyEnd {
  return { status: row.status as EndStatus, error: row.error, row };
}
