import { type ScriptedModel, startScriptedModel } from "@tandem/testing/scripted-model";
import { afterAll, beforeAll } from "vitest";
import type { ChatModel } from "../src/assistant/chat-model.ts";
import { chatModel } from "../src/assistant/model.ts";

export { scriptedText } from "@tandem/testing/scripted-model";

/** The scripted model as the app sees it (a model like any), and what the test may ask of it. */
export type TestModel = ChatModel & Pick<ScriptedModel, "release" | "callsFor" | "promptFor" | "requests">;

/**
 * Starts the scripted OpenAI-compatible model (packages/testing/src/scripted-model) before the calling
 * block's first test and stops it after its last. The app reaches it through AI_BASE_URL's
 * provider, as it would a real model; its script grammar is in script.ts there. Call it
 * before `useTestServer`, so the model is up before the app and stops after it.
 */
export function useScriptedModel(): TestModel {
  let running: ScriptedModel | undefined;
  let model: ChatModel | undefined;

  beforeAll(async () => {
    running = await startScriptedModel({ tokenDelayMs: 1 });
    model = chatModel({ AI_BASE_URL: running.url, AI_MODEL: "scripted", ASSISTANT_TOKEN_DELAY_MS: 0 });
  });
  afterAll(async () => {
    await running?.close();
  });

  const up = () => {
    if (!running || !model) throw new Error("The scripted model is not up: use it inside a test or hook");
    return { running, model };
  };
  return {
    specificationVersion: "v3",
    provider: "openai-compatible.chat",
    modelId: "scripted",
    supportedUrls: {},
    doGenerate: (options) => up().model.doGenerate(options),
    doStream: (options) => up().model.doStream(options),
    release: (text) => up().running.release(text),
    callsFor: (text) => up().running.callsFor(text),
    promptFor: (text) => up().running.promptFor(text),
    get requests() {
      return up().running.requests;
    },
  };
}
