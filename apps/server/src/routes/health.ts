import type { DbHandle } from "@tandem/db/client";
import { Hono } from "hono";

export const healthRoutes = (handle: DbHandle) =>
  new Hono().get("/", (c) => c.json({ ok: true as const, db: handle.kind }));
