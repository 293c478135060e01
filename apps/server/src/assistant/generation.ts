import type { Db } from "@tandem/db/client";
import type { MessageRow } from "@tandem/db/schema";
import { type FinishReason, streamText } from "ai";
import type { FeedHub } from "../feed/hub.ts";
import { describeError } from "../http/database-error.ts";
import { redactForUsers } from "../http/redact.ts";
import { log } from "../log.ts";
import { createBatchedWriter } from "./batched-writer.ts";
import { type ChatModel, TANDEM_SYSTEM_PROMPT } from "./chat-model.ts";
import { beat, type Ending, finishGeneration, INTERRUPTED_ERROR, writeProgress } from "./generation-sql.ts";
import { modelMessages } from "./model-messages.ts";
import type { ReplyEnd, ReplyFeed, ReplySink } from "./reply-stream.ts";

export interface GenerationSettings {
  flushMs: number;
  heartbeatMs: number;
  /** The most tokens the model is asked for. */
  maxOutputTokens: number;
  /** The model sending nothing for this long fails the reply. */
  chunkTimeoutMs: number;
  /** The reply not finished in this long fails. */
  timeoutMs: number;
  /** The most characters of history sent. */
  historyChars: number;
}

/**
 * Why a generation was cut short: the user stopped it here, this server is shutting
 * down, or its process row stopped being `running` (stopped or interrupted elsewhere).
 */
export type StopReason = "stop" | "shutdown" | "lost";

const ERROR_MAX = 2000;

/**
 * One assistant reply being written by this server. It runs to its end whoever listens:
 * HTTP responses are followers that attach and detach. Its text reaches the database in
 * batches, and its end (text, status, usage, error) in one transaction.
 */
export class Generation {
  readonly messageId: string;
  readonly processId: string;
  /** The reply as last stored. */
  row: MessageRow;
  /** All the text so far, ahead of what is stored. */
  text = "";
  /** Set once the end is stored and told. */
  end: ReplyEnd | undefined;
  /** Resolves (never rejects) once the end is stored and told to every follower. */
  readonly done: Promise<ReplyEnd>;
  /** Batched writes of the text so far, for tests and logs. */
  progressWrites = 0;

  readonly #db: Db;
  /** This instance's feed, which takes each batch straight after its commit. */
  readonly #feed: FeedHub;
  readonly #model: ChatModel;
  readonly #settings: GenerationSettings;
  readonly #abort = new AbortController();
  readonly #followers = new Set<ReplySink>();
  #stopReason: StopReason | undefined;
  /** The log entry of the last batch written: the next write's entry replaces it. */
  #logged: bigint | undefined;
  #resolveDone!: (end: ReplyEnd) => void;

  constructor(
    db: Db,
    feed: FeedHub,
    model: ChatModel,
    reply: MessageRow,
    processId: string,
    settings: GenerationSettings,
  ) {
    this.#db = db;
    this.#feed = feed;
    this.#model = model;
    this.#settings = settings;
    this.row = reply;
    this.messageId = reply.id;
    this.processId = processId;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** Attaches a follower: the reply as it is now, and every change after, until `close`. */
  follow(sink: ReplySink): ReplyFeed {
    const feed = { row: this.row, text: this.text, close: () => this.#followers.delete(sink) };
    if (this.end) {
      const end = this.end;
      queueMicrotask(() => sink.end(end));
      return { ...feed, row: end.row ?? this.row };
    }
    this.#followers.add(sink);
    return feed;
  }

  /** Cuts the generation short; the text so far is kept. The first reason given wins. */
  stop(reason: StopReason) {
    if (this.end || this.#stopReason) return;
    this.#stopReason = reason;
    this.#abort.abort(new Error(`Generation stopped (${reason})`));
  }

  /** Runs the model to the end and stores the outcome. Call once. */
  async run(): Promise<void> {
    const writer = createBatchedWriter<string>({
      intervalMs: this.#settings.flushMs,
      write: async (text) => {
        const written = await writeProgress(this.#db, this.#feed, { ...this.#stored, text });
        this.progressWrites++;
        if (written) {
          this.row = written.row;
          this.#logged = written.logged;
        }
      },
      onError: (error) =>
        log.error(`Writing reply ${this.messageId} failed; the next batch retries: ${describeError(error)}`),
    });
    const heartbeat = this.#startHeartbeat();
    let failure: unknown;
    let usage: Record<string, unknown> | undefined;
    let finishReason: FinishReason | undefined;

    try {
      const result = streamText({
        model: this.#model,
        system: TANDEM_SYSTEM_PROMPT,
        messages: await modelMessages(this.#db, this.row, this.#settings.historyChars),
        allowSystemInMessages: true,
        maxOutputTokens: this.#settings.maxOutputTokens,
        abortSignal: this.#abort.signal,
        maxRetries: 1,
        // Failures are read from the stream below; the default would log every one.
        onError: () => {},
      });
      const reader = result.fullStream.getReader();
      // A model that ignores the abort signal must not keep a stopped reply alive.
      const cancel = () => void reader.cancel().catch(() => {});
      this.#abort.signal.addEventListener("abort", cancel, { once: true });
      // The time limits: the first one reached fails the reply with its reason.
      const timeOut = (reason: string) => {
        failure ??= new Error(reason);
        this.#abort.abort(failure);
      };
      const { chunkTimeoutMs, timeoutMs } = this.#settings;
      const total = setTimeout(
        () => timeOut(`The model did not finish within ${seconds(timeoutMs)}`),
        timeoutMs,
      );
      const quiet = setTimeout(
        () => timeOut(`The model sent nothing for ${seconds(chunkTimeoutMs)}`),
        chunkTimeoutMs,
      );
      try {
        for (;;) {
          const { done, value: part } = await reader.read();
          quiet.refresh();
          if (done) break;
          if (part.type === "text-delta" && part.text !== "") {
            this.text += part.text;
            for (const follower of this.#followers) follower.delta(part.text);
            writer.push(this.text);
          } else if (part.type === "error") {
            failure ??= part.error;
          } else if (part.type === "finish") {
            usage = JSON.parse(JSON.stringify(part.totalUsage));
            finishReason = part.finishReason;
          }
        }
      } finally {
        clearTimeout(total);
        clearTimeout(quiet);
        this.#abort.signal.removeEventListener("abort", cancel);
      }
    } catch (error) {
      failure ??= error;
    } finally {
      clearInterval(heartbeat);
      await writer.close();
    }

    const ending = this.#ending(failure, usage);
    let end: ReplyEnd = {
      ...ending,
      row: undefined,
      finishReason: ending.status === "complete" ? finishReason : undefined,
    };
    try {
      const stored = await withRetries(() =>
        finishGeneration(this.#db, this.#feed, { ...this.#stored, text: this.text }, ending),
      );
      end = { ...end, ...stored.ending, row: stored.row };
      if (stored.row) this.row = stored.row;
    } catch (error) {
      // The row stays `streaming` with its last batch until a sweeper finds the process stale.
      log.error(`Storing the end of reply ${this.messageId} failed: ${describeError(error)}`);
    }
    this.end = end;
    for (const follower of this.#followers) follower.end(end);
    this.#followers.clear();
    this.#resolveDone(end);
  }

  get #stored() {
    return { id: this.messageId, processId: this.processId, logged: this.#logged };
  }

  #ending(failure: unknown, usage: Record<string, unknown> | undefined): Ending {
    switch (this.#stopReason) {
      case "stop":
      case "lost":
        return { status: "stopped", error: null, usage };
      case "shutdown":
        return { status: "interrupted", error: INTERRUPTED_ERROR, usage };
      default:
        if (failure !== undefined) return { status: "error", error: errorText(failure), usage };
        return { status: "complete", error: null, usage };
    }
  }

  #startHeartbeat() {
    let beating = false;
    const timer = setInterval(async () => {
      if (beating) return;
      beating = true;
      try {
        if (!(await beat(this.#db, this.processId))) this.stop("lost");
      } catch (error) {
        log.error(`Heartbeat of reply ${this.messageId} failed: ${describeError(error)}`);
      } finally {
        beating = false;
      }
    }, this.#settings.heartbeatMs);
    return timer;
  }
}

/** An error and its causes, as one line: "Failed to process successful response: terminated: other side closed". */
/**
 * A model's error as its reply stores it and users read it: each message down the chain
 * of causes, once, with the model server's address and credentials taken out.
 */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const line = messageOf(e)?.trim();
    if (line && !parts.some((part) => part.includes(line))) parts.push(line);
    e = e instanceof Error ? e.cause : undefined;
  }
  const message = redactForUsers(parts.join(": ")) || "The model failed without saying why";
  return message.length > ERROR_MAX ? `${message.slice(0, ERROR_MAX)}…` : message;
}

/**
 * The message of an error, a string, or an error object as a server sent it: an
 * OpenAI-compatible server's mid-stream error chunk is `{ message, type, code }` (or
 * wraps it as `{ error: { message } }`), which users read as its message, not as JSON.
 */
function messageOf(error: unknown): string | undefined {
  if (error instanceof Error || typeof error === "string")
    return error instanceof Error ? error.message : error;
  if (typeof error !== "object" || error === null) return String(error);
  const { message, error: inner } = error as { message?: unknown; error?: unknown };
  if (typeof message === "string") return message;
  if (
    typeof inner === "object" &&
    inner !== null &&
    typeof (inner as { message?: unknown }).message === "string"
  ) {
    return (inner as { message: string }).message;
  }
  return JSON.stringify(error);
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

async function withRetries<T>(attempt: () => Promise<T>, tries = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * i));
    }
  }
}
