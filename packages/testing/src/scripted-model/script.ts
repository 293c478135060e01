/**
 * The script grammar: what the scripted model answers is set by directives in the last
 * user message, so one running model serves every test at once.
 *
 *   [tokens:N]   reply with N tokens "word1 word2 … wordN " (unique, so a page can tell
 *                which ones it shows); without it, 5 such tokens if the script sets an
 *                ending below, else a short markdown reply quoting the message
 *   [long]       the same as [tokens:200]: time to stop a reply or reload in the middle
 *   [delay:MS]   wait MS before each token (else the model's default pace)
 *   [fail:K]     after K tokens, an error chunk "The model broke after K tokens"
 *   [crash:K]    after K tokens, the connection drops
 *   [hang:K]     after K tokens, nothing more until the client goes away
 *   [pause:K]    after K tokens, wait until `release(text)`, then go on
 *   [once]       the fail/crash/hang/pause happens on the first call for this message only
 *   [status:S]   answer HTTP status S (400 and up) with an OpenAI-style error body
 *   [echo]       reply with the rest of the message after it, exactly (markdown a test
 *                wants rendered: a fenced code block, an image)
 *
 * Put something unique in each message (a test name, a random tag) so scripts that count
 * calls (`[once]`, `[pause:K]`) do not share state.
 */
export interface Script {
  /** The reply's tokens, in order; what a complete reply stores is their concatenation. */
  tokens: string[];
  /** Milliseconds before each token; undefined: the model's default. */
  delayMs: number | undefined;
  /** How the stream ends: after `after` tokens for every mode but complete. */
  ending: "complete" | "fail" | "crash" | "hang" | "pause";
  after: number;
  once: boolean;
  /** An HTTP error status to answer instead of a stream. */
  status: number | undefined;
}

const LONG_TOKENS = 200;
const ECHO = "[echo]";
/** Tokens of a script that sets an ending but no `[tokens:N]`. */
const DEFAULT_TOKENS = 5;

export function parseScript(text: string): Script {
  const number = (name: string) => {
    const match = new RegExp(`\\[${name}:(\\d+)\\]`).exec(text);
    return match ? Number(match[1]) : undefined;
  };
  let ending: Script["ending"] = "complete";
  let after: number | undefined;
  for (const name of ["fail", "crash", "hang", "pause"] as const) {
    const at = number(name);
    if (at !== undefined) [ending, after] = [name, at];
  }
  const count =
    number("tokens") ??
    (text.includes("[long]")
      ? LONG_TOKENS
      : after !== undefined
        ? Math.max(after, DEFAULT_TOKENS)
        : undefined);
  const echoAt = text.indexOf(ECHO);
  const tokens =
    echoAt >= 0
      ? wordsOf(text.slice(echoAt + ECHO.length).trimStart())
      : count === undefined
        ? quoteReply(text)
        : scriptedTokens(count);
  return {
    tokens,
    delayMs: number("delay"),
    ending,
    after: after ?? tokens.length,
    once: text.includes("[once]"),
    status: number("status"),
  };
}

/** `count` tokens "word1 word2 …", from `from` on. */
export function scriptedTokens(count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `word${from + i} `);
}

/** The text `[tokens:N]` streams in full: what a complete reply stores. */
export function scriptedText(count: number, from = 1): string {
  return scriptedTokens(count, from).join("");
}

/** The reply to a message without `[tokens:N]`: markdown that says what it was sent. */
export function quoteReplyText(text: string): string {
  return `**Scripted reply.** You said: ${text.replace(/\s+/g, " ").trim()}\n\n- one\n- two\n- three\n`;
}

function quoteReply(text: string): string[] {
  return wordsOf(quoteReplyText(text));
}

/** A text as the tokens a model streams: each word with the space after it. */
function wordsOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

/** The error a `[fail:K]` script's stream ends with. */
export const failMessage = (after: number) => `The model broke after ${after} tokens`;
