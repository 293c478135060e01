export * from "./messages.ts";
export * from "./projects.ts";
export * from "./running-processes.ts";
