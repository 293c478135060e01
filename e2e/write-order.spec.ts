import { expect, expectsLongReply, test, uniqueName } from "./fixtures.ts";

test("a long reply in one project never delays a message in another", async ({ api, app }) => {
  const first = await api.createProject(uniqueName("Busy"));
  const second = await api.createProject(uniqueName("Free"));
  const untilComplete = expectsLongReply();
  await app.open(first);
  await expect(app.connection).toHaveText("Online");

  await app.sendMessage(`${uniqueName("Long one")} [long]`);
  const reply = app.log.locator('article[data-role="assistant"]');
  await expect(reply).toHaveAttribute("data-status", "streaming");
  // A follow-up in the same project waits for the reply being written...
  const followUp = uniqueName("Follow-up");
  await app.sendMessage(followUp);
  await expect(app.message(followUp)).toHaveAttribute("data-status", "pending");

  // ...but a message in another project does not wait with it.
  await app.projectLink(second.name).click();
  await expect(app.heading(second.name)).toBeVisible();
  const elsewhere = uniqueName("Elsewhere");
  await app.sendMessage(elsewhere);
  await expect(app.message(elsewhere)).toHaveAttribute("data-status", "complete");
  const stillWriting = (await api.messages(first.id)).filter((row) => row.role === "assistant");
  expect(stillWriting.map((row) => row.status)).toEqual(["streaming"]);

  // And the follow-up goes once its project's reply has ended.
  await app.projectLink(first.name).click();
  await expect(app.message(followUp)).toHaveAttribute("data-status", "complete", untilComplete);
});
