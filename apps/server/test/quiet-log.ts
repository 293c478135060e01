import { log } from "../src/log.ts";

/**
 * Each test file's set-up: the apps a test makes in its own process log warnings and
 * errors only (LOG_LEVEL when set), not a line per request, so a run's output stays
 * readable. Servers started as processes take LOG_LEVEL from their own environment.
 */
log.level = process.env.LOG_LEVEL ?? "warn";
