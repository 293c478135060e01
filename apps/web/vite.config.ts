import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const apiPort = process.env.PORT ?? "3000";

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    // In development the API runs on its own port (pnpm dev starts both).
    proxy: { "/api": `http://127.0.0.1:${apiPort}` },
  },
  build: {
    target: "es2022",
    sourcemap: true,
  },
});
