import "./lib/no-eval.ts";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Root } from "./app/Root.tsx";
import { startSession } from "./sync/session.ts";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");

// Who the app runs as decides whose replica, outbox and feed open: first, before any store.
// Not a top-level await: one in the entry turns off Rolldown's chunk optimizations.
void startSession().then(() =>
  createRoot(root).render(
    <StrictMode>
      <Root />
    </StrictMode>,
  ),
);
