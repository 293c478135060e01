import { ensureServerBuilt } from "@tandem/testing/built-server";

/** vitest's global set-up for the server tests: the built server, fresh, before any worker starts one. */
export default function setup() {
  ensureServerBuilt();
}
