import { expect, test } from "./fixtures.ts";

test("every app path answers the app page, so a project URL survives a reload", async ({ request }) => {
  for (const path of ["/", "/projects/0192f1e4-8a3b-7c9d-8e0f-123456789abc", "/anything/else"]) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"]).toContain("text/html");
    expect(await res.text()).toContain('<div id="root">');
  }
});

test("a missing asset is a 404, not the app page in its place", async ({ request }) => {
  const res = await request.get("/assets/no-such-chunk.js");
  expect(res.status()).toBe(404);
  expect(res.headers()["content-type"]).not.toContain("text/html");
});

test("hashed assets are cached for good, the page is revalidated", async ({ request }) => {
  const page = await request.get("/");
  expect(page.headers()["cache-control"]).toBe("no-cache");
  const script = (await page.text()).match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
  expect(script).toBeTruthy();
  const asset = await request.get(script as string);
  expect(asset.status()).toBe(200);
  expect(asset.headers()["cache-control"]).toContain("immutable");
});
