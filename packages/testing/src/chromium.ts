import { existsSync } from "node:fs";

/**
 * How the e2e suite and the bench launch Chromium: Debian's (the bundled one cannot be
 * downloaded here), or CHROMIUM_PATH.
 */
export const chromiumLaunchOptions = {
  executablePath:
    process.env.CHROMIUM_PATH || (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined),
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};
