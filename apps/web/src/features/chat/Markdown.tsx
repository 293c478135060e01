import { code } from "@streamdown/code";
import { Streamdown } from "streamdown";

const plugins = { code };

/**
 * Assistant text as markdown. Streamdown closes unfinished fences and emphasis while
 * text streams in; raw HTML in the text is dropped, never rendered.
 */
export default function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  return (
    <Streamdown
      className="markdown"
      mode={streaming ? "streaming" : "static"}
      skipHtml
      plugins={plugins}
      shikiTheme={["github-light", "github-dark"]}
    >
      {text}
    </Streamdown>
  );
}
