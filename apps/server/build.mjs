// Bundles the server to one JavaScript file (dist/index.js) that plain `node` runs.
// The workspace packages (@tandem/*, TypeScript source) are bundled in; packages from
// the registry stay imports, resolved from this package's node_modules at run time, so
// PGlite finds its wasm and data files where it expects them. The migrations' SQL is
// copied beside the bundle, where @tandem/db looks for it first.
import { cpSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const dist = here("./dist");

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [here("./src/index.ts")],
  outfile: here("./dist/index.js"),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  logLevel: "warning",
  plugins: [
    {
      name: "registry-packages-external",
      setup(b) {
        // A bare import that is not one of ours: left for node to resolve.
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith("@tandem/") ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
cpSync(here("../../packages/db/drizzle"), here("./dist/drizzle"), { recursive: true });
