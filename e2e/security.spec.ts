import { randomUUID } from "node:crypto";
import { expect, test, uniqueName } from "./fixtures.ts";
import { MODEL_PORT } from "./suite.ts";

test("every answer carries the security headers: the app shell, an asset, the API", async ({ request }) => {
  const shell = await request.get("/");
  const script = (await shell.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
  expect(script).toBeTruthy();
  for (const res of [shell, await request.get(script as string), await request.get("/api/projects")]) {
    const headers = res.headers();
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
  }
});

test("a reply's code is highlighted under the CSP, and its remote image is never fetched", async ({
  api,
  app,
  page,
}) => {
  const remote: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("example.invalid")) remote.push(request.url());
  });
  await app.open(await api.createProject(uniqueName("Markdown")));
  const tag = randomUUID();
  await app.sendMessage(
    `[echo] Here ${tag}:\n\n\`\`\`ts\nconst answer: number = 42;\n\`\`\`\n\n![a tracking pixel](http://example.invalid/x.png)\n`,
  );
  const reply = app.log.locator('article[data-role="assistant"]').filter({ hasText: tag });
  const code = reply.locator("pre").filter({ hasText: "const answer: number = 42;" });
  await expect(code).toBeVisible();
  // Shiki's grammar engine (WebAssembly) ran: the code is split into colored tokens.
  await expect(code.locator("span[style*='--sdm-c: #']").first()).toBeAttached();
  await expect(reply.getByText("a tracking pixel")).toBeVisible();
  expect(remote).toEqual([]);
});

test("a page on another site that posts to Tandem is refused (403), and nothing is written", async ({
  page,
  api,
  baseURL,
}) => {
  // A page of another origin on this machine: another local app (the scripted model's
  // server). A rebound name would be refused by its Host first.
  await page.goto(`http://127.0.0.1:${MODEL_PORT}/requests?text=none`);
  const name = uniqueName("Forged");
  // The classic forged write: a form posted across sites, its body shaped as JSON.
  const answered = page.waitForResponse((res) => res.url() === `${baseURL}/api/projects`);
  await page.evaluate(
    ([action, json]) => {
      const form = document.createElement("form");
      form.method = "POST";
      form.action = action as string;
      form.enctype = "text/plain";
      const field = document.createElement("input");
      field.name = (json as string).slice(0, -2);
      field.value = '"}';
      form.append(field);
      document.body.append(form);
      form.submit();
    },
    [`${baseURL}/api/projects`, JSON.stringify({ id: randomUUID(), name, x: "" })],
  );
  const answer = await answered;
  expect(answer.status()).toBe(403);
  expect(await answer.json()).toMatchObject({ error: { code: "cross_origin" } });
  expect((await api.projects()).map((project) => project.name)).not.toContain(name);
});
