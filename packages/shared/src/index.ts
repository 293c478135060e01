export * from "./changes.ts";
export * from "./chat.ts";
export * from "./errors.ts";
export * from "./ids.ts";
export * from "./limits.ts";
export * from "./messages.ts";
export * from "./projects.ts";
export * from "./running-processes.ts";
