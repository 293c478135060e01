import { snippetParts } from "@tandem/shared";
import { describe, expect, test } from "vitest";
import { matchText, searchTerms, stem } from "../src/lib/text-search.ts";

describe("offline search's word matching", () => {
  test('"fox jump" finds "foxes were jumping", as the server does', () => {
    expect(searchTerms("fox jump")).toEqual(["fox", "jump"]);
    expect(matchText("The foxes were jumping", searchTerms("fox jump"))).toEqual({
      score: 2,
      snippet: "The <mark>foxes</mark> were <mark>jumping</mark>",
    });
  });

  test("every word searched for must be there", () => {
    expect(matchText("A fox sleeps", searchTerms("fox jump"))).toBeUndefined();
  });

  test("one stem for a word's forms", () => {
    expect(new Set(["release", "released", "releases", "releasing"].map(stem)).size).toBe(1);
    expect(new Set(["plan", "plans", "planned", "planning"].map(stem)).size).toBe(1);
    expect(new Set(["story", "stories"].map(stem)).size).toBe(1);
  });

  test("stop words and symbols are not looked for", () => {
    expect(searchTerms('the "and" !! -')).toEqual([]);
    expect(matchText("the and", searchTerms("the"))).toBeUndefined();
  });

  test("the snippet escapes the text: only the marks are markup", () => {
    const text = `<img src=x onerror="alert(1)"> & the plan's <mark>x</mark>`;
    const match = matchText(text, searchTerms("plan"));
    expect(match?.snippet.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
    expect(snippetParts(match?.snippet ?? "")).toEqual([
      { text: `<img src=x onerror="alert(1)"> & the `, marked: false },
      { text: "plan", marked: true },
      { text: "'s <mark>x</mark>", marked: false },
    ]);
  });

  test("a long text is cut around its first match", () => {
    const text = `${"word ".repeat(200)}the needle is here ${"word ".repeat(200)}`;
    const snippet = matchText(text, searchTerms("needle"))?.snippet ?? "";
    expect(snippet.length).toBeLessThan(320);
    expect(snippet).toMatch(/^… .*<mark>needle<\/mark>.* …$/);
  });
});
