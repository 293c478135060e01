import { MESSAGE_CONTENT_MAX } from "@tandem/shared";
import { type ReactNode, useRef } from "react";
import { useDraft } from "./useDraft.ts";

/** The message box: Enter sends, Shift+Enter adds a line, an empty message is not sent. */
interface Props {
  projectId: string;
  onSend: (content: string) => void;
  stop?: ReactNode;
}

export function Composer({ projectId, onSend, stop }: Props) {
  const [text, setText] = useDraft(projectId);
  const input = useRef<HTMLTextAreaElement>(null);
  const canSend = text.trim().length > 0;

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
      <textarea
        ref={input}
        aria-label="Message"
        placeholder="Write a message…"
        rows={Math.min(8, Math.max(1, text.split("\n").length))}
        maxLength={MESSAGE_CONTENT_MAX}
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
            event.preventDefault();
            send();
          }
        }}
      />
      {stop}
      <button type="submit" className="primary" disabled={!canSend}>
        Send
      </button>
    </form>
  );
}
