import { describe, expect, test } from "vitest";
import { backends, useTestServer } from "./backends.ts";
import { call } from "./http.ts";

describe.each(backends)("health on %s", (kind) => {
  const server = useTestServer(kind);

  test("answers ok and names the database in use", async () => {
    expect(await call(server, "GET", "/api/health")).toEqual({ status: 200, body: { ok: true, db: kind } });
  });
});
