export * from "./change-log.ts";
export * from "./change-log-trim.ts";
export * from "./messages.ts";
export * from "./projects.ts";
export * from "./running-processes.ts";
