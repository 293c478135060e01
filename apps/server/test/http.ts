import { randomUUID } from "node:crypto";
import {
  type CreateMessageBody,
  type CreateProjectBody,
  type ErrorBody,
  errorBodySchema,
  type Message,
  messageSchema,
  type Project,
  projectSchema,
} from "@tandem/shared";
import { testClient } from "hono/testing";
import { expect } from "vitest";
import type { TestServer } from "./backends.ts";

/**
 * The origin of the app under test as `app.request` reaches it (`http://localhost`): every
 * write sends it as its `Origin`, as a browser on the app's own page does.
 */
export const OWN_ORIGIN = "http://localhost";

/** Anything with the app under test: a TestServer, or an app made by a test itself. */
export type WithApp = Pick<TestServer, "app">;

/**
 * The typed client (`hc`) on the app under test, answering without a network: what a
 * well-formed request should go through. `call` stays for the requests the types forbid
 * (ids that are not UUIDs, bodies that must be refused) and for checking any answer's
 * envelope.
 */
export const client = (server: WithApp) =>
  testClient(server.app, {}, undefined, { headers: { origin: OWN_ORIGIN } }).api;

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** Sends `body` as JSON (or nothing) and reads the answer, which is always JSON. */
export async function call(
  server: WithApp,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonAnswer> {
  const init: RequestInit = { method, headers: { origin: OWN_ORIGIN } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { origin: OWN_ORIGIN, "content-type": "application/json" };
  }
  return answerOf(await server.app.request(path, init));
}

export async function answerOf(response: Response): Promise<JsonAnswer> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return { status: response.status, body: await response.json() };
}

/** Checks the error envelope, its status and code, and gives back its `error`. */
export function expectError(answer: JsonAnswer, status: number, code: string): ErrorBody["error"] {
  expect(answer.status).toBe(status);
  const { error } = errorBodySchema.parse(answer.body);
  expect(error.code).toBe(code);
  expect(error.message).not.toBe("");
  return error;
}

/** A 400 invalid_input naming exactly these failing fields. */
export function expectInvalid(answer: JsonAnswer, paths: string[]): ErrorBody["error"] {
  const error = expectError(answer, 400, "invalid_input");
  expect(detailPaths(error).sort()).toEqual([...paths].sort());
  return error;
}

export function detailPaths(error: ErrorBody["error"]): string[] {
  return (error.details ?? []).map((detail) => detail.path);
}

export async function createProject(
  server: WithApp,
  body: Partial<CreateProjectBody> = {},
): Promise<Project> {
  const response = await client(server).projects.$post({
    json: { id: randomUUID(), name: "A project", ...body },
  });
  expect(response.status).toBe(201);
  return projectSchema.parse(await response.json());
}

export async function createMessage(
  server: WithApp,
  projectId: string,
  body: Partial<CreateMessageBody> = {},
): Promise<Message> {
  const response = await client(server).messages.$post({
    json: { id: randomUUID(), projectId, role: "user", content: "Hello", ...body },
  });
  expect(response.status).toBe(201);
  return messageSchema.parse(await response.json());
}
