import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.tsx";
import { startLiveSync } from "./collections/live-sync.ts";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");

startLiveSync();

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
