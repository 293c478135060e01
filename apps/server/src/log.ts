import pino from "pino";

/**
 * The server's log: one JSON object per line on stdout (pino), with the time, level,
 * process id and host, so the lines of several instances can be told apart and parsed.
 * Lines never carry secrets or message text: callers log ids, counts, routes and
 * `describeError` texts, and URLs through `redactUrl`. `index.ts` sets its level from
 * LOG_LEVEL.
 */
export const log = pino({
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
});

/** The log as the console-shaped logger the feed hub takes. */
export const consoleLog = {
  log: (message: string) => log.info(message),
  warn: (message: string) => log.warn(message),
  error: (message: string) => log.error(message),
};
