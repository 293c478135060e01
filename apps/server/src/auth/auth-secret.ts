import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file in DATA_DIR that keeps a generated AUTH_SECRET across restarts. */
export const SECRET_FILE = "auth-secret";

/**
 * The secret that signs session cookies. Given (AUTH_SECRET), it is used as is. With
 * PGlite and none given, one is generated into DATA_DIR (readable by this user only),
 * so sessions outlive a restart; in memory (`memory://`) it lives as long as the
 * process. With Postgres env.ts demands AUTH_SECRET: every instance must share it.
 */
export function resolveAuthSecret(given: string | undefined, dataDir: string): string {
  if (given) return given;
  if (dataDir.includes("://")) return randomBytes(32).toString("base64url");
  const file = join(dataDir, SECRET_FILE);
  if (existsSync(file)) {
    // Made by an older run with looser rights, or copied in: keep it to this user.
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const stored = readFileSync(file, "utf8").trim();
    if (stored.length >= 32) return stored;
  }
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
