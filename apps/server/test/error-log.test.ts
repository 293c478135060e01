import { sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { describeError } from "../src/http/database-error.ts";
import { backends, useTestServer } from "./backends.ts";

const SECRET = "a message only its author should read";

describe.each(backends)("error logs on %s", (kind) => {
  const server = useTestServer(kind);

  const failure = async (statement: ReturnType<typeof sql>) => {
    try {
      await server.handle.db.execute(statement);
    } catch (error) {
      return error;
    }
    throw new Error("The statement did not fail");
  };

  test("name the statement and the database's code, never a parameter's value", async () => {
    const error = await failure(sql`select ${SECRET}::text, 1 / ${0}::int`);
    const line = describeError(error);
    expect(line).toContain("22012");
    expect(line).toContain("select");
    expect(line).not.toContain(SECRET);
  });

  test("never quote a value the database refused", async () => {
    const line = describeError(await failure(sql`select ${SECRET}::uuid`));
    expect(line).toContain("22P02");
    expect(line).not.toContain(SECRET);
  });
});
