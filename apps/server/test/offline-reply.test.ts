import { describe, expect, test } from "vitest";
import { offlineReply, tokenize } from "../src/assistant/offline-reply.ts";

describe("the offline assistant's reply", () => {
  test("says what it is and how to connect a real model", () => {
    const reply = offlineReply("Hello there");
    expect(reply).toContain("Tandem's built-in offline assistant");
    for (const setting of ["AI_BASE_URL", "AI_MODEL", "AI_API_KEY", "http://127.0.0.1:11434/v1"]) {
      expect(reply).toContain(setting);
    }
  });

  test("says it has the project's instructions, quotes them and says it cannot follow them", () => {
    const reply = offlineReply("Hello there", "Answer in French.\n\nBe brief.");
    expect(reply).toContain("I have this project's instructions (5 words)");
    expect(reply).toContain("I can't follow them offline");
    expect(reply).toContain("> Answer in French. Be brief.");
    expect(offlineReply("Hello there", "  \n")).toBe(offlineReply("Hello there"));
  });

  test("restates a message's sentences as its points, and asks its question back", () => {
    const reply = offlineReply("We ship on Friday. The tests are flaky. Should we delay the release?");
    expect(reply).toContain("**In short:** a question (13 words) about **ship**, **Friday** and **tests**.");
    expect(reply).toContain(
      ["- We ship on Friday.", "- The tests are flaky.", "- Should we delay the release?"].join("\n"),
    );
    expect(reply).toContain('you asked "Should we delay the release?"');
  });

  test("keeps a list the user wrote as the points", () => {
    const reply = offlineReply("Groceries:\n- milk\n- bread\n* eggs");
    expect(reply).toContain("- milk\n- bread\n- eggs");
  });

  test("names the code a message contains, without echoing it", () => {
    const reply = offlineReply("Why does this loop?\n\n```python\nwhile True:\n    pass\n```");
    expect(reply).toContain("you included a code block in `python` (2 lines)");
    expect(reply).not.toContain("while True");
    expect(reply).toContain("> Why does this loop?");
  });

  test("recognises unfenced code", () => {
    const reply = offlineReply("const a = 1;\nconst b = 2;\nconsole.log(a + b);");
    expect(reply).toContain("you included a code block (3 lines)");
  });

  test("is the same for the same message, and short points stay whole", () => {
    expect(offlineReply("Plan the trip")).toBe(offlineReply("Plan the trip"));
    expect(offlineReply("Plan the trip")).toContain("> Plan the trip");
  });

  test("cuts very long points at a word", () => {
    const reply = offlineReply(`${"word ".repeat(100)}end.`);
    expect(reply).toMatch(/> (word ){30,}word…/);
  });
});

describe("tokenize", () => {
  test("white space alone is one token", () => {
    expect(tokenize(" \n ")).toEqual([" \n "]);
  });

  test.each([
    "",
    "one",
    "two words",
    "  leading and trailing  ",
    "lines\nand\n\nparagraphs\n",
    "```sh\nx\n```",
  ])("splits %j into words that join back into it", (text) => {
    const tokens = tokenize(text);
    expect(tokens.join("")).toBe(text);
    expect(tokens.every((token) => token.trim() !== "")).toBe(true);
  });
});
