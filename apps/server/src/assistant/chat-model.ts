import type { LanguageModel } from "ai";

/** The AI SDK's model interface (v3), named through `ai` so the provider package need not be a dependency. */
export type ChatModel = Extract<LanguageModel, { specificationVersion: "v3" }>;
export type ChatModelCallOptions = Parameters<ChatModel["doStream"]>[0];
export type ChatModelStreamResult = Awaited<ReturnType<ChatModel["doStream"]>>;
export type ChatModelGenerateResult = Awaited<ReturnType<ChatModel["doGenerate"]>>;
export type ChatModelUsage = ChatModelGenerateResult["usage"];
export type ChatModelStreamPart = ChatModelStreamResult["stream"] extends ReadableStream<infer P> ? P : never;

/** What Tandem tells every model before the project's own instructions and the history. */
export const TANDEM_SYSTEM_PROMPT =
  "You are the assistant in Tandem, a chat workspace where each project has its own chat. " +
  "Answer in Markdown; use fenced code blocks with a language for code.";
