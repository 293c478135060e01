import type { Browser } from "@playwright/test";
import type { Api } from "./api.ts";
import type { Fixtures } from "./fixtures.ts";
import type { Stack } from "./stack.ts";

/** `skipped` and `not built yet` are not failures of the run: the thing measured is not there. */
export type Status = "pass" | "FAIL" | "info" | "skipped" | "not built yet" | "error";

/** One line of the table. Single-valued measures (a size, a ratio) put their value in p50. */
export interface Row {
  case: string;
  n: number;
  unit: string;
  p50?: number;
  p95?: number;
  p99?: number;
  target: string;
  status: Status;
  note?: string;
}

/** Samples drawn as a distribution in the SVG. */
export interface Distribution {
  label: string;
  samples: number[];
  /** The target in ms, for the median unless `targetAt` names another percentile. */
  target?: number;
  targetAt?: number;
}

/** A scaling curve: y (ms) against x (messages). */
export interface Curve {
  label: string;
  points: Array<{ x: number; y: number }>;
  target?: { x: number; y: number };
}

export interface CaseOutput {
  rows: Row[];
  distributions?: Distribution[];
  curves?: Curve[];
  /** Anything else worth keeping in latest.json. */
  details?: Record<string, unknown>;
}

export interface Context {
  quick: boolean;
  stack: Stack;
  api: Api;
  browser: Browser;
  fixtures: Fixtures;
  /** Whether the server has the change feed (`GET /api/changes`). */
  feed: boolean;
}

export interface BenchCase {
  name: string;
  /** The sizes of `fixtures.project(size)` it will ask for: seeded before the server starts. */
  sizes?(quick: boolean): number[];
  run(ctx: Context): Promise<CaseOutput>;
}

export const pass = (ok: boolean): Status => (ok ? "pass" : "FAIL");
