import { type Message, messageSchema } from "@tandem/shared";
import { messagesCollection } from "../collections/messages.ts";
import { streamsCollection } from "../collections/streams.ts";
import { ApiRequestError, api, openStream, send } from "../lib/api.ts";
import { type ChatChunk, isMessageChunk, readChatChunks } from "../lib/ui-message-stream.ts";
import { syncMessage } from "./live-sync.ts";

/**
 * Assistant replies as this tab follows them: one follower per reply, whether the tab
 * started it, resumed it after a reload, or retried it. `ended` settles when the
 * server's stream ends (the generation is over), before the final row is applied.
 */
interface Follower {
  projectId: string;
  ended: Promise<void>;
}
const following = new Map<string, Follower>();

const lastAsked = new Map<string, number>();
const RECHECK_MS = 12_000;

/**
 * A stored row from a reply's stream. The user's own message confirms its send (the
 * insert handler is still running), so it must land even at the same version.
 */
export function applyStoredMessage(row: Message): Promise<void> {
  return syncMessage(row, row.role === "user");
}

/** Streamed deltas wait here and are applied at most once per animation frame. */
const pendingText = new Map<string, string>();
let frame: number | undefined;

function appendText(id: string, delta: string) {
  pendingText.set(id, (pendingText.get(id) ?? "") + delta);
  frame ??= requestAnimationFrame(flushText);
}

function flushText() {
  frame = undefined;
  for (const [id, text] of pendingText) {
    if (streamsCollection.has(id)) {
      streamsCollection.update(id, (stream) => {
        stream.content += text;
      });
    }
  }
  pendingText.clear();
}

function beginStream(id: string, projectId: string) {
  pendingText.delete(id);
  const fresh = { id, projectId, content: "", status: "streaming" as const, error: null };
  if (streamsCollection.has(id)) {
    streamsCollection.update(id, (stream) => Object.assign(stream, fresh));
  } else {
    streamsCollection.insert(fresh);
  }
}

function endStream(id: string) {
  pendingText.delete(id);
  if (streamsCollection.has(id)) streamsCollection.delete(id);
}

/** Consumes one reply's stream: stored rows go to `messages`, text to `streams`. */
class ReplyReader {
  replyId: string | undefined;
  finalRow: Message | undefined;

  constructor(readonly projectId: string) {}

  handle(chunk: ChatChunk) {
    if (isMessageChunk(chunk)) {
      const row = messageSchema.parse(chunk.data);
      if (row.role === "assistant") {
        if (this.replyId !== row.id) this.begin(row.id);
        if (row.status !== "streaming") this.finalRow = row;
        // The final row is written when the stream ends, after the last text is shown.
        if (row.status === "streaming") void applyStoredMessage(row);
      } else {
        void applyStoredMessage(row);
      }
      return;
    }
    if (chunk.type === "start" && chunk.messageId && this.replyId !== chunk.messageId) {
      this.begin(chunk.messageId);
    } else if (chunk.type === "text-delta" && this.replyId) {
      appendText(this.replyId, chunk.delta);
    }
  }

  private begin(id: string) {
    this.replyId = id;
    beginStream(id, this.projectId);
  }

  /** After the stream: the final row replaces the streamed text, then the stream goes. */
  async finish(): Promise<void> {
    const id = this.replyId;
    if (!id) return;
    if (frame !== undefined) {
      cancelAnimationFrame(frame);
      flushText();
    }
    if (this.finalRow) {
      await applyStoredMessage(this.finalRow);
    } else {
      // The connection ended before the reply did: the server keeps writing it, so pick
      // the stored row up again (and follow again if it still runs).
      await messagesCollection(this.projectId).utils.refetch();
    }
    endStream(id);
  }
}

/** Reads a reply's stream to its end; answers when the stream has ended. */
async function readToEnd(reader: ReplyReader, chunks: AsyncGenerator<ChatChunk>): Promise<void> {
  try {
    for await (const chunk of chunks) reader.handle(chunk);
  } catch {
    // A dropped connection: finish() reconciles with the stored row.
  }
}

/** Follows a reply in the background: read its stream, then settle its stored row. */
function follow(id: string, projectId: string, stream: () => Promise<ReplyReader | undefined>) {
  const ended = stream();
  const follower: Follower = {
    projectId,
    ended: ended.then(
      () => {},
      () => {},
    ),
  };
  following.set(id, follower);
  void ended
    .then((reader) => reader?.finish())
    .catch(() => {})
    .finally(() => {
      if (following.get(id) === follower) following.delete(id);
    });
}

/**
 * Waits until no reply this tab follows in the project is still being written: the
 * server writes one reply at a time per project, so a new message waits its turn. Only
 * its own project's writes wait with it (the outbox orders writes per project).
 */
async function repliesEnded(projectId: string): Promise<void> {
  const running = [...following.values()].filter((f) => f.projectId === projectId).map((f) => f.ended);
  await Promise.all(running);
}

/**
 * Starts a reply through `POST /api/chat`: to a user message (which it stores first), or,
 * for an assistant message made here, another reply to its parent (regenerate, with that
 * id). A user message is a plain send after its `parentId`, or, with `edits`, a new
 * version of that message: then the server takes the parent from it (the edited
 * message's own, which the server may have placed elsewhere than this browser showed).
 * Answers the stored message (the stream's first rows); the reply goes on streaming in
 * the background. Throws if the server refuses.
 */
export async function sendChatMessage(message: Message, edits?: string): Promise<Message> {
  await repliesEnded(message.projectId);
  const { projectId, parentId } = message;
  const { id, content, parts } = message;
  const response = await openStream(() =>
    api.chat.$post({
      json:
        message.role === "assistant" && parentId !== null
          ? { projectId, regenerate: { id, parentId } }
          : { projectId, message: edits ? { id, edits, content, parts } : { id, parentId, content, parts } },
    }),
  );
  if (!response?.body) throw new ApiRequestError(0, "network", "The reply's stream did not open");
  const reader = new ReplyReader(message.projectId);
  const chunks = readChatChunks(response.body);
  // Read up to the stored user message, so the send is confirmed before we return.
  let stored: Message | undefined;
  while (!stored) {
    const next = await chunks.next();
    if (next.done) break;
    reader.handle(next.value);
    if (isMessageChunk(next.value) && next.value.data.id === message.id) {
      stored = messageSchema.parse(next.value.data);
    }
  }
  if (reader.replyId) {
    follow(reader.replyId, message.projectId, async () => {
      await readToEnd(reader, chunks);
      return reader;
    });
  }
  if (!stored)
    throw new ApiRequestError(0, "network", "The reply's stream ended before the message was stored");
  return stored;
}

/** Follows a reply that is being written (after a reload, or from another tab). */
export function followReply(projectId: string, messageId: string): void {
  if (following.has(messageId)) return;
  // A row still marked streaming that nothing writes (its server died) is asked about
  // again only after a while: the server marks such replies interrupted.
  const askedAt = lastAsked.get(messageId) ?? 0;
  if (Date.now() - askedAt < RECHECK_MS) return;
  lastAsked.set(messageId, Date.now());
  follow(messageId, projectId, async () => {
    const response = await openStream(() => api.chat[":messageId"].stream.$get({ param: { messageId } }));
    if (!response?.body) {
      // Nothing runs for it any more: the stored row has (or soon has) its final state.
      const messages = messagesCollection(projectId);
      await messages.utils.refetch();
      setTimeout(() => void messages.utils.refetch(), RECHECK_MS);
      return undefined;
    }
    const reader = new ReplyReader(projectId);
    await readToEnd(reader, readChatChunks(response.body));
    return reader;
  });
}

export async function stopReply(message: Message): Promise<void> {
  const stopped = await send(() => api.chat[":messageId"].stop.$post({ param: { messageId: message.id } }));
  await applyStoredMessage(messageSchema.parse(stopped));
}

/** Writes the reply again from the same history; resolves once its stream has opened. */
export async function retryReply(message: Message): Promise<void> {
  const response = await openStream(() =>
    api.chat[":messageId"].retry.$post({ param: { messageId: message.id } }),
  );
  const body = response?.body;
  if (!body) return;
  follow(message.id, message.projectId, async () => {
    const reader = new ReplyReader(message.projectId);
    await readToEnd(reader, readChatChunks(body));
    return reader;
  });
}
