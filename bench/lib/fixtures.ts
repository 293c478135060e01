import { randomUUID } from "node:crypto";
import type { Project } from "@tandem/shared";
import type { Api } from "./api.ts";

export interface SeededProject {
  project: Pick<Project, "id" | "name">;
  size: number;
  /** A message posted just now, after everything else: what a cold open must show first. */
  newest: string;
}

/**
 * Projects of a given size, shared by the cases: seeded into the database before the
 * server started (`preseeded`, see run.ts), else through the API on first use.
 */
export class Fixtures {
  private readonly seeded = new Map<number, Promise<Pick<Project, "id" | "name">>>();

  constructor(
    private readonly api: Api,
    preseeded: ReadonlyMap<number, Pick<Project, "id" | "name">> = new Map(),
  ) {
    for (const [size, project] of preseeded) this.seeded.set(size, Promise.resolve(project));
  }

  /**
   * The project of `size` messages (seeded on first use), with a new newest message:
   * cases before may have added messages, and the chat shows only the newest ones.
   */
  async project(size: number): Promise<SeededProject> {
    let seeded = this.seeded.get(size);
    if (!seeded) {
      seeded = this.seed(size);
      this.seeded.set(size, seeded);
    }
    const project = await seeded;
    const newest = `newest ${randomUUID().slice(0, 8)}`;
    await this.api.postMessage(project.id, newest);
    return { project, size, newest };
  }

  private async seed(size: number): Promise<Project> {
    const started = performance.now();
    const project = await this.api.seedProject(`Bench ${size}`, size - 1);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  seeded ${size.toLocaleString("en")} messages in ${seconds.toFixed(1)} s`);
    return project;
  }
}
