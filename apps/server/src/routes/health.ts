import type { DbHandle } from "@tandem/db/client";
import { Hono } from "hono";
import type { DatabaseGate } from "../database-gate.ts";
import { errorResponse } from "../http/api-error.ts";

/**
 * `GET /api/health`: 200 `{ ok, db }` when the database answers; 503 with the error
 * envelope (`database_unavailable`, naming the database and why) while it does not, so a
 * proxy or an orchestrator sends no traffic here until it does.
 */
export const healthRoutes = (handle: DbHandle, gate: DatabaseGate) =>
  new Hono().get("/", async (c) => {
    await gate.check();
    if (!gate.ready) return errorResponse(c, gate.unavailable());
    return c.json({ ok: true as const, db: handle.kind });
  });
