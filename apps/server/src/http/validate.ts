import type { ErrorDetail } from "@tandem/shared";
import { validator } from "hono/validator";
// The shared schemas are written with zod/mini (small in the web bundle); the server
// parses them with full zod, whose import also sets zod's English messages, so the 400
// answers' details read as before.
import { z } from "zod";
import { ApiError } from "./api-error.ts";

const jsonMediaType = /^application\/([\w.-]+\+)?json$/i;

/** Zod issues as field paths a client can point at, one per failing field. */
export function issueDetails(error: z.ZodError, part: RequestPart = "body"): ErrorDetail[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...base, key].join("."), message: "is not a known field" }));
    }
    return [{ path: base.join(".") || `(${part})`, message: issue.message }];
  });
}

type RequestPart = "body" | "query" | "path";

/** `value` as `schema` reads it, or 400 invalid_input with the failing fields (and `message`, if given). */
export function parseOrThrow<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
  part: RequestPart,
  message = `The request ${part} is not valid`,
): z.output<S> {
  const result = z.safeParse(schema, value);
  if (!result.success) {
    throw new ApiError("invalid_input", message, {
      details: issueDetails(result.error, part),
    });
  }
  return result.data;
}

/** Validates a JSON body: 415 when it is not JSON, 400 with field paths when it is wrong. */
export const jsonBody = <S extends z.core.$ZodType>(schema: S) =>
  validator("json", (value, c) => {
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!jsonMediaType.test(mediaType)) {
      throw new ApiError("unsupported_media_type", "Send the body as JSON (content-type: application/json)");
    }
    return parseOrThrow(schema, value, "body") as z.output<S>;
  });

export const queryParams = <S extends z.core.$ZodType>(schema: S) =>
  validator("query", (value) => parseOrThrow(schema, value, "query") as z.output<S>);

export const pathParams = <S extends z.core.$ZodType>(schema: S) =>
  validator("param", (value) => parseOrThrow(schema, value, "path") as z.output<S>);
