import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

const apiPort = process.env.PORT ?? "3000";
const shikiGrammar = /[\\/]@shikijs[\\/](langs|themes)[\\/]/;

export default defineConfig({
  plugins: [
    react(),
    // The app shell is cached by a service worker, so the app opens with no network or
    // with the server down; a new build replaces it on the next online load.
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer",
      manifest: {
        name: "Tandem",
        short_name: "Tandem",
        description: "A local-first chat workspace",
        theme_color: "#4f46e5",
        background_color: "#f7f7f8",
        display: "standalone",
        icons: [{ src: "/favicon.svg", sizes: "any", type: "image/svg+xml" }],
      },
      workbox: {
        // The shell, the on-demand UI and the markdown renderer (assets/*, not its subfolders);
        // the ~700 code grammars and themes are cached as they are first used.
        globPatterns: ["index.html", "favicon.svg", "manifest.webmanifest", "assets/*.{js,css}"],
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        runtimeCaching: [
          {
            // Hashed file names never change content: once fetched, serve them from the cache.
            urlPattern: ({ url }) => url.pathname.startsWith("/assets/"),
            handler: "CacheFirst",
            options: { cacheName: "assets", expiration: { maxEntries: 400 } },
          },
        ],
      },
    }),
  ],
  server: {
    port: 5173,
    // In development the API runs on its own port (pnpm dev starts both).
    proxy: { "/api": `http://127.0.0.1:${apiPort}` },
  },
  build: {
    target: "es2022",
    sourcemap: true,
    rolldownOptions: {
      output: {
        // Everything the first load needs in one chunk. Left to itself, Rolldown puts what the
        // entry shares with a lazy chunk (the on-demand UI, Markdown) into several small common
        // chunks, all loaded at once, which compress worse than one.
        codeSplitting: { groups: [{ name: "index", tags: ["$initial"] }] },
        // Shiki's grammars and themes in a folder of their own, so the shell can be precached without them.
        chunkFileNames: (chunk) =>
          chunk.moduleIds.length > 0 && chunk.moduleIds.every((id) => shikiGrammar.test(id))
            ? "assets/highlight/[name]-[hash].js"
            : "assets/[name]-[hash].js",
      },
    },
  },
});
