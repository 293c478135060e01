import "./lib/no-eval.ts";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.tsx";
import { openReplica } from "./lib/replica.ts";
import { startLiveSync } from "./sync/live-sync.ts";
import { startOutbox } from "./sync/outbox.ts";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");

// The persisted replica first: the last known projects and messages paint before any request returns.
await openReplica();
startLiveSync();
void startOutbox();

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
