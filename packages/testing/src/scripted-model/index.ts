export {
  failMessage,
  parseScript,
  quoteReplyText,
  type Script,
  scriptedText,
  scriptedTokens,
} from "./script.ts";
export {
  type ReceivedMessage,
  type ReceivedRequest,
  type ScriptedModel,
  type ScriptedModelOptions,
  startScriptedModel,
} from "./server.ts";
