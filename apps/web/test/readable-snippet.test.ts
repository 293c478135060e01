import { escapeSnippet, snippetParts } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { readableSnippet } from "../src/features/search/readable-snippet.ts";
import { matchText, searchTerms } from "../src/lib/text-search.ts";

/** What the dialog shows for `markdown` when `word` is searched: its text runs, marked or not. */
const shown = (markdown: string, word: string) =>
  snippetParts(readableSnippet(matchText(markdown, searchTerms(word))?.snippet ?? ""));

describe("a search snippet reads as text, not Markdown", () => {
  test("emphasis and code lose their markers; the match stays marked", () => {
    expect(shown("We **ship** on _Friday_, after `deploy --prod` and ~~Monday~~", "ship")).toEqual([
      { text: "We ", marked: false },
      { text: "ship", marked: true },
      { text: " on Friday, after deploy --prod and Monday", marked: false },
    ]);
  });

  test("a link or image shows its text, never its target", () => {
    expect(
      readableSnippet("See [the <mark>plan</mark>](https://example.test/plan) and ![a chart](c.png)"),
    ).toBe("See the <mark>plan</mark> and a chart");
  });

  test("headings, quotes, list items and code fences lose their markers; lines join", () => {
    const markdown = "# Release plan\n\n> quoted\n- first\n* second\n2. third\n```ts\nconst plan = 1;\n```";
    expect(readableSnippet(escapeSnippet(markdown))).toBe(
      "Release plan quoted first second third const plan = 1;",
    );
  });

  test("what only looks like syntax stays: snake_case, a product, a # or * inside a line", () => {
    const text = "rename snake_case_name; 2 * 3 = 6; issue #12 and a*b";
    expect(readableSnippet(escapeSnippet(text))).toBe(escapeSnippet(text));
  });

  test("escaped text stays escaped, so the snippet still never carries markup", () => {
    const text = "**<img src=x>** & <mark>";
    expect(snippetParts(readableSnippet(escapeSnippet(text)))).toEqual([
      { text: "<img src=x> & <mark>", marked: false },
    ]);
  });
});
