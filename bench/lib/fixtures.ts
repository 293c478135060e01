import type { Project } from "@tandem/shared";
import { type Api, seedText } from "./api.ts";

export interface SeededProject {
  project: Project;
  size: number;
  /** The text of its newest message: what a cold open must show first. */
  newest: string;
}

/** Projects seeded through the API once per run and shared by the cases, by size. */
export class Fixtures {
  private readonly seeded = new Map<number, Promise<SeededProject>>();

  constructor(private readonly api: Api) {}

  project(size: number): Promise<SeededProject> {
    let seeded = this.seeded.get(size);
    if (!seeded) {
      seeded = this.seed(size);
      this.seeded.set(size, seeded);
    }
    return seeded;
  }

  private async seed(size: number): Promise<SeededProject> {
    const started = performance.now();
    const project = await this.api.seedProject(`Bench ${size}`, size - 1);
    // The last one alone, after the others, so it is the newest.
    const newest = `${seedText(size - 1)} newest-${project.id.slice(0, 8)}`;
    await this.api.postMessage(project.id, newest);
    const seconds = (performance.now() - started) / 1000;
    console.log(`  seeded ${size.toLocaleString("en")} messages in ${seconds.toFixed(1)} s`);
    return { project, size, newest };
  }
}
