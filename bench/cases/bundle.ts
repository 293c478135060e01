import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { gzipSync } from "node:zlib";
import { webDist } from "../lib/stack.ts";
import { type BenchCase, pass } from "../lib/types.ts";

const TARGET_KB = 220;

/** `/assets/x.js` in index.html → its path under dist. */
const distPath = (url: string) => join(webDist, url.replace(/^\//, ""));
const gzipKb = (path: string) => gzipSync(readFileSync(path), { level: 9 }).length / 1024;

/**
 * The JS a first page load needs: index.html's scripts and modulepreloads, and
 * everything they import statically, transitively. Dynamic `import()` (markdown,
 * highlighting, languages) is left out: it loads later.
 */
export function initialScripts(): string[] {
  const html = readFileSync(join(webDist, "index.html"), "utf8");
  const entries = [
    ...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((match) => match[1] as string);
  const seen = new Set<string>();
  const visit = (url: string) => {
    if (seen.has(url)) return;
    seen.add(url);
    const code = readFileSync(distPath(url), "utf8");
    // Static imports only: `import x from "./a.js"`, `import "./a.js"`, `export … from "./a.js"`.
    for (const match of code.matchAll(
      /(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w$*{},\s]+from\s*)?["']([^"']+\.js)["']/g,
    )) {
      visit(posix.join(posix.dirname(url), match[1] as string));
    }
  };
  for (const entry of entries) visit(entry);
  return [...seen];
}

export const bundle: BenchCase = {
  name: "bundle",
  async run() {
    const scripts = initialScripts();
    const sizes = Object.fromEntries(
      scripts.map((url) => [url, Math.round(gzipKb(distPath(url)) * 10) / 10]),
    );
    const total = Object.values(sizes).reduce((sum, kb) => sum + kb, 0);
    return {
      rows: [
        {
          case: "bundle (initial JS, gzip -9)",
          n: scripts.length,
          unit: "KB",
          p50: total,
          target: `≤ ${TARGET_KB} KB`,
          status: pass(total <= TARGET_KB),
          note: `${scripts.length} file(s)`,
        },
      ],
      details: { sizes },
    };
  },
};
