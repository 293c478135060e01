import { chatRequestSchema, idSchema } from "@tandem/shared";
import { createUIMessageStreamResponse } from "ai";
import { Hono } from "hono";
import { z } from "zod";
import type { Assistant } from "../assistant/assistant.ts";
import type { AppEnv } from "../http/caller.ts";
import { jsonBody, pathParams } from "../http/validate.ts";
import { toMessage } from "../rows.ts";

const messageParam = z.object({ messageId: idSchema });

/** The assistant's endpoints, for members of the message's project; replies stream in the AI SDK UI message stream protocol (SSE). */
export const chatRoutes = (assistant: Assistant) =>
  new Hono<AppEnv>()
    .post("/", jsonBody(chatRequestSchema), async (c) => {
      const { user } = await c.var.access.caller();
      const stream = await assistant.chat(c.req.valid("json"), user.id);
      return createUIMessageStreamResponse({ stream });
    })

    .get("/:messageId/stream", pathParams(messageParam), async (c) => {
      const stream = await assistant.follow(
        c.req.valid("param").messageId,
        (await c.var.access.caller()).user.id,
      );
      if (!stream) return c.body(null, 204);
      return createUIMessageStreamResponse({ stream });
    })

    .post("/:messageId/stop", pathParams(messageParam), async (c) => {
      const row = await assistant.stop(c.req.valid("param").messageId, (await c.var.access.caller()).user.id);
      return c.json(toMessage(row), 200);
    })

    .post("/:messageId/retry", pathParams(messageParam), async (c) => {
      const stream = await assistant.retry(
        c.req.valid("param").messageId,
        (await c.var.access.caller()).user.id,
      );
      return createUIMessageStreamResponse({ stream });
    });
