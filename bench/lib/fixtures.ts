import { randomUUID } from "node:crypto";
import type { Project } from "@tandem/shared";
import type { Api } from "./api.ts";

export interface SeededProject {
  project: Project;
  size: number;
  /** A message posted just now, after everything else: what a cold open must show first. */
  newest: string;
}

/** Projects seeded through the API once per run and shared by the cases, by size. */
export class Fixtures {
  private readonly seeded = new Map<number, Promise<Project>>();

  constructor(private readonly api: Api) {}

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
