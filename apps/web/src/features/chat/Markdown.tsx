import { code } from "@streamdown/code";
import type { ComponentProps } from "react";
import { Streamdown } from "streamdown";

const plugins = { code };

/**
 * A model-written image is not loaded: fetching it would tell its server that (and when)
 * someone read the reply. It shows as a link with its alt text, which a reader may open.
 * The CSP's `img-src` refuses remote images too; this keeps the page from asking.
 */
function ReplyImage({ src, alt }: ComponentProps<"img">) {
  const label = alt?.trim() || "image";
  if (typeof src !== "string" || !/^https?:/i.test(src))
    return <span className="markdown-image">{label}</span>;
  return (
    <a className="markdown-image" href={src} target="_blank" rel="noopener noreferrer">
      {label}
    </a>
  );
}

const components = { img: ReplyImage };

/**
 * Assistant text as markdown. Streamdown closes unfinished fences and emphasis while
 * text streams in; raw HTML in the text is dropped, never rendered; images are links.
 */
export default function Markdown({ text, streaming }: { text: string; streaming: boolean }) {
  return (
    <Streamdown
      className="markdown"
      mode={streaming ? "streaming" : "static"}
      skipHtml
      plugins={plugins}
      components={components}
      shikiTheme={["github-light", "github-dark"]}
    >
      {text}
    </Streamdown>
  );
}
