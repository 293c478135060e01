/**
 * A search snippet as a reader wants it: messages are Markdown (replies always, and
 * what people type often), and a snippet is cut out of the source, so without this a
 * hit reads `**ship** it` or `[the plan](https://…)`. Takes the snippet as the server
 * (or the offline search) sends it: escaped text with `<mark>` tags, which stay where
 * they are. Drops Markdown's syntax, keeps its text: emphasis and code markers, the
 * targets of links and images, the markers that start a heading, quote or list item;
 * line breaks become spaces. Text that only looks like syntax stays: `snake_case`,
 * `2 * 3`, a `#` inside a line.
 */
export function readableSnippet(snippet: string): string {
  return (
    snippet
      // Code fences, with the language named after the opening one.
      .replace(/```[\w-]*/g, " ")
      .replace(/`+/g, "")
      // Links and images: their text (an image's alt), never the target.
      .replace(/!?\[([^\]\n]*)\]\([^)\n]*\)/g, "$1")
      // Markers that start a line: a heading, a quote (escaped `>`), a list item.
      .replace(/(^|\n)[ \t]*(?:#{1,6}[ \t]+|(?:&gt;[ \t]?)+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)/g, "$1")
      // Strong, strikethrough; then single emphasis next to a word, not inside one.
      .replace(/\*\*|__|~~/g, "")
      .replace(/(^|[\s(>])[*_](?=[^\s*_])/g, "$1")
      .replace(/([^\s*_])[*_](?=$|[\s).,;:!?<])/g, "$1")
      .replace(/[ \t]*\n[\s]*/g, " ")
      .replace(/[ \t]{2,}/g, " ")
      .trim()
  );
}
