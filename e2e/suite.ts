import { scriptedTokens } from "@tandem/testing/scripted-model";

/** The suite's server port; E2E_PORT lets runs beside each other use their own. */
export const APP_PORT = Number(process.env.E2E_PORT || 3100);

/** The scripted model's port (playwright.config.ts starts it there). */
export const MODEL_PORT = APP_PORT + 99;

/** The scripted model's pace in the e2e suite. */
export const TOKEN_DELAY_MS = 40;

/** How long a `[long]` reply streams on a quiet machine. */
export const LONG_REPLY_MS = scriptedTokens(200).length * TOKEN_DELAY_MS;
