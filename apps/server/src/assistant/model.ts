import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { OfflineModel } from "./offline-model.ts";

/** The AI SDK's model interface (v3), named through `ai` so the provider package need not be a dependency. */
export type ChatModel = Extract<LanguageModel, { specificationVersion: "v3" }>;
export type ChatModelCallOptions = Parameters<ChatModel["doStream"]>[0];
export type ChatModelStreamResult = Awaited<ReturnType<ChatModel["doStream"]>>;
export type ChatModelGenerateResult = Awaited<ReturnType<ChatModel["doGenerate"]>>;
export type ChatModelUsage = ChatModelGenerateResult["usage"];
export type ChatModelStreamPart = ChatModelStreamResult["stream"] extends ReadableStream<infer P> ? P : never;

export interface ModelSettings {
  AI_BASE_URL?: string | undefined;
  AI_API_KEY?: string | undefined;
  AI_MODEL?: string | undefined;
  ASSISTANT_TOKEN_DELAY_MS: number;
}

/** Any OpenAI-compatible server when AI_BASE_URL is set, else the built-in offline assistant. */
export function chatModel(settings: ModelSettings): ChatModel {
  if (!settings.AI_BASE_URL) return new OfflineModel({ tokenDelayMs: settings.ASSISTANT_TOKEN_DELAY_MS });
  if (!settings.AI_MODEL) throw new Error("AI_MODEL is required when AI_BASE_URL is set");
  const provider = createOpenAICompatible({
    name: "openai-compatible",
    baseURL: settings.AI_BASE_URL,
    apiKey: settings.AI_API_KEY,
    includeUsage: true,
  });
  return provider.chatModel(settings.AI_MODEL);
}
