import { config } from "zod/mini";

// The page's Content-Security-Policy forbids eval. Zod would probe for it (`Function("")`)
// to compile its parsers, which the browser reports as a refused eval: tell it up front
// to parse without compiling. Imported first, before any schema is used.
config({ jitless: true });
