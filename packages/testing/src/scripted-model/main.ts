/**
 * The scripted model as a process of its own, for the e2e suite and the bench:
 * `node --import tsx packages/testing/src/scripted-model/main.ts` with PORT and TOKEN_DELAY_MS
 * (the pace when a script sets no `[delay:MS]`).
 */
import { startScriptedModel } from "./server.ts";

const model = await startScriptedModel({
  port: Number(process.env.PORT ?? 3199),
  tokenDelayMs: Number(process.env.TOKEN_DELAY_MS ?? 40),
});
console.log(`scripted model on ${model.url}`);
process.on("SIGTERM", () => void model.close().then(() => process.exit(0)));
