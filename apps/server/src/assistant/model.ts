import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { ChatModel } from "./chat-model.ts";
import { OfflineModel } from "./offline-model.ts";

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
