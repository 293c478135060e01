import type { Message } from "@tandem/shared";
import { useEffect, useState } from "react";
import { streamsCollection } from "../../collections/streams.ts";
import { copyText } from "./clipboard.ts";

/** How long "Copied" shows after a copy. */
const COPIED_MS = 2000;

/** Copies the message's Markdown (a reply being written: its text so far), and says so briefly. */
export function CopyButton({ message }: { message: Message }) {
  const [outcome, setOutcome] = useState<"copied" | "failed">();

  useEffect(() => {
    if (!outcome) return;
    const timer = setTimeout(() => setOutcome(undefined), COPIED_MS);
    return () => clearTimeout(timer);
  }, [outcome]);

  return (
    <>
      <button
        type="button"
        className="small ghost"
        onClick={() => {
          // Read at the click, not subscribed: a chat's buttons do not re-render per token.
          const text = streamsCollection.get(message.id)?.content ?? message.content;
          copyText(text).then(
            () => setOutcome("copied"),
            () => setOutcome("failed"),
          );
        }}
      >
        Copy
      </button>
      <span role="status" className={outcome === "failed" ? "action-note failed-note" : "action-note"}>
        {outcome === "copied" ? "Copied" : outcome === "failed" ? "Couldn't copy" : ""}
      </span>
    </>
  );
}
