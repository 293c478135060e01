/**
 * The built-in offline assistant's answer: no model, so it cannot think about the message,
 * but it can hand it back structured (a summary, the points it makes, the code in it, a
 * question) and say how to connect a real model. It says so when the project has
 * instructions (it cannot follow them). Pure, so the same message always gets the same reply.
 */
export function offlineReply(message: string, instructions = ""): string {
  const { prose, code } = splitCode(message);
  const points = keyPoints(prose);
  const sections: string[] = [];

  sections.push(
    "I'm **Tandem's built-in offline assistant**. No language model is connected, so I can't " +
      "reason about your message, but I can hand it back to you in a structured form.",
  );

  if (instructions.trim() !== "") sections.push(describeInstructions(instructions));

  sections.push(`**In short:** ${summarize(prose, points, code.length > 0)}`);

  if (points.length > 1) {
    sections.push(
      ["**What you wrote, point by point:**", "", ...points.map((point) => `- ${point}`)].join("\n"),
    );
  } else if (points.length === 1) {
    sections.push(`**You wrote:**\n\n> ${points[0]}`);
  }

  if (code.length > 0) sections.push(describeCode(code));

  sections.push(`**A question back:** ${questionBack(prose, points, code.length > 0)}`);

  sections.push(
    [
      "---",
      "",
      "**To get real answers, connect a model.** Tandem speaks to any OpenAI-compatible API " +
        "(OpenAI, Ollama, llama.cpp, vLLM). Set these before `pnpm start`:",
      "",
      "- `AI_BASE_URL`: the API's base URL, e.g. `http://127.0.0.1:11434/v1` for Ollama",
      "- `AI_MODEL`: the model to use, e.g. `llama3.2`",
      "- `AI_API_KEY`: the API key, if the server needs one",
      "",
      "```sh",
      "AI_BASE_URL=http://127.0.0.1:11434/v1 AI_MODEL=llama3.2 pnpm start",
      "```",
    ].join("\n"),
  );

  return sections.join("\n\n");
}

interface CodeBlock {
  language: string | undefined;
  lines: number;
}

const FENCE = /^(`{3,}|~{3,})\s*([\w+#.-]*)[^\n]*\n([\s\S]*?)(?:^\1[ \t]*$|(?![\s\S]))/gm;
const CODE_LINE =
  /^\s*(?:(?:def|function|const|let|var|import|from|class|return|public|private|fn|func|package|#include)\b|.*[;{}]\s*$|.*=>)/;

/** Fenced code blocks, or (without fences) a run of lines that look like code. */
function splitCode(message: string): { prose: string; code: CodeBlock[] } {
  const code: CodeBlock[] = [];
  const prose = message.replace(FENCE, (_block, _fence: string, language: string, body: string) => {
    code.push({ language: language || undefined, lines: body.replace(/\n$/, "").split("\n").length });
    return "\n";
  });
  if (code.length > 0) return { prose, code };

  const lines = message.split("\n");
  const codeLines = lines.filter((line) => line.trim() !== "" && CODE_LINE.test(line));
  if (codeLines.length >= 2 && codeLines.length * 2 >= lines.filter((line) => line.trim()).length) {
    return {
      prose: lines.filter((line) => !CODE_LINE.test(line)).join("\n"),
      code: [{ language: undefined, lines: codeLines.length }],
    };
  }
  return { prose: message, code };
}

const LIST_ITEM = /^\s*(?:[-*+•]|\d+[.)])\s+/;
const MAX_POINTS = 6;
const MAX_POINT = 200;

/** The items of a list the user wrote, else their sentences, else their lines. */
function keyPoints(prose: string): string[] {
  const lines = prose
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const items = lines.filter((line) => LIST_ITEM.test(line)).map((line) => line.replace(LIST_ITEM, ""));
  const points =
    items.length >= 2
      ? items
      : lines
          .join(" ")
          .split(/(?<=[.!?])\s+(?=\S)/)
          .map((sentence) => sentence.trim())
          .filter(Boolean);
  return points.slice(0, MAX_POINTS).map((point) => clip(point, MAX_POINT));
}

const QUESTION_START =
  /^(how|what|why|when|where|which|who|whom|whose|can|could|should|would|is|are|do|does|did|will)\b/i;
const REQUEST_START =
  /^(please|write|make|create|explain|fix|help|show|give|tell|list|add|build|find|summari[sz]e|translate|review)\b/i;
const STOP_WORDS = new Set(
  "about above after again also because been before being below between both could does doing down during each from further have having here into itself just more most much only other over same should some such than that their them then there these they this those through under until very what when where which while whom with would your yours want need like make sure".split(
    " ",
  ),
);

/** One line about the message: what kind it is, how long, and what it is about. */
function summarize(prose: string, points: string[], hasCode: boolean): string {
  const words = prose.match(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu) ?? [];
  const first = points[0] ?? "";
  const kind =
    points.some((point) => point.endsWith("?")) || QUESTION_START.test(first)
      ? "a question"
      : REQUEST_START.test(first)
        ? "a request"
        : "a note";
  const topics = keywords(words);
  const about = topics.length > 0 ? ` about ${joinAnd(topics.map((topic) => `**${topic}**`))}` : "";
  const withCode = hasCode ? ", with code" : "";
  const length = `${words.length} word${words.length === 1 ? "" : "s"}`;
  return `${kind} (${length})${about}${withCode}.`;
}

/** The words used most (ties: the earliest), skipping short and common ones. */
function keywords(words: string[], max = 3): string[] {
  const counts = new Map<string, { word: string; count: number; first: number }>();
  words.forEach((word, index) => {
    const key = word.toLowerCase();
    if (key.length < 4 || STOP_WORDS.has(key)) return;
    const entry = counts.get(key) ?? { word, count: 0, first: index };
    entry.count++;
    counts.set(key, entry);
  });
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || a.first - b.first)
    .slice(0, max)
    .map((entry) => entry.word);
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const lastSpace = cut.lastIndexOf(" ");
  return `${(lastSpace > max / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}

function describeCode(code: CodeBlock[]): string {
  const languages = [...new Set(code.map((block) => block.language).filter(Boolean))];
  const lines = code.reduce((sum, block) => sum + block.lines, 0);
  const what = code.length === 1 ? "a code block" : `${code.length} code blocks`;
  const inLanguage = languages.length > 0 ? ` in ${languages.map((l) => `\`${l}\``).join(", ")}` : "";
  return (
    `**Your code:** you included ${what}${inLanguage} (${lines} line${lines === 1 ? "" : "s"}). ` +
    "I can't read or run code offline; a connected model can explain it, review it or find the bug."
  );
}

const MAX_INSTRUCTIONS_QUOTE = 200;

function describeInstructions(instructions: string): string {
  const text = instructions.replace(/\s+/g, " ").trim();
  const words = text.split(" ").length;
  return (
    `**Project instructions:** I have this project's instructions (${words} word${words === 1 ? "" : "s"}). ` +
    "I can't follow them offline; a connected model gets them as its system message with every reply:" +
    `\n\n> ${clip(text, MAX_INSTRUCTIONS_QUOTE)}`
  );
}

function questionBack(prose: string, points: string[], hasCode: boolean): string {
  const question = points.find((point) => point.endsWith("?"));
  if (question)
    return `you asked "${question}": what have you tried so far, and what would a good answer look like?`;
  if (hasCode) return "what should this code do, and what does it do instead?";
  if (prose.trim() === "") return "what would you like to know about it?";
  return "what would you like to do next with this: decide, plan, write or explain?";
}

/** Splits a reply into the tokens it is streamed in: each word with the white space after it. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === "" ? [] : [text]);
}
