import { scriptedTokens } from "@tandem/testing/scripted-model";

/** The scripted model's pace in the e2e suite (playwright.config.ts starts it with this). */
export const TOKEN_DELAY_MS = 40;

/** How long a `[long]` reply streams on a quiet machine. */
export const LONG_REPLY_MS = scriptedTokens(200).length * TOKEN_DELAY_MS;
