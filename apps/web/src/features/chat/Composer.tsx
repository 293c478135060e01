import { MESSAGE_CONTENT_MAX } from "@tandem/shared";
import { type ReactNode, useRef } from "react";
import { lengthStatus } from "../../lib/length-limit.ts";
import { LengthNote } from "./LengthNote.tsx";
import { useDraft } from "./useDraft.ts";

/**
 * The message box: Enter sends, Shift+Enter adds a line, an empty message is not sent.
 * Nothing typed is cut: near the server's limit the count shows; past it the text stays,
 * the box says by how much it is too long, and sending waits until it fits.
 */
interface Props {
  projectId: string;
  onSend: (content: string) => void;
  stop?: ReactNode;
}

const LENGTH_NOTE_ID = "composer-length";

export function Composer({ projectId, onSend, stop }: Props) {
  const [text, setText] = useDraft(projectId);
  const input = useRef<HTMLTextAreaElement>(null);
  const length = lengthStatus(text.length, MESSAGE_CONTENT_MAX);
  const tooLong = length.kind === "over";
  const canSend = text.trim().length > 0 && !tooLong;

  function send() {
    if (!canSend) return;
    onSend(text);
    setText("");
    input.current?.focus();
  }

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <div className="composer-input">
        <textarea
          ref={input}
          aria-label="Message"
          aria-describedby={LENGTH_NOTE_ID}
          aria-invalid={tooLong || undefined}
          placeholder="Write a message…"
          rows={Math.min(8, Math.max(1, lineCount(text, 8)))}
          value={text}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
              event.preventDefault();
              send();
            }
          }}
        />
        <LengthNote id={LENGTH_NOTE_ID} status={length} />
      </div>
      {stop}
      <button type="submit" className="primary" disabled={!canSend}>
        Send
      </button>
    </form>
  );
}

/** The lines of `text`, counted up to `max` (a pasted megabyte is not split on every keystroke). */
function lineCount(text: string, max: number): number {
  let lines = 1;
  for (let at = text.indexOf("\n"); at !== -1 && lines < max; at = text.indexOf("\n", at + 1)) lines++;
  return lines;
}
