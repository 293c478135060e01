export const runningProcessStatuses = ["running", "completed", "stopped", "failed", "interrupted"] as const;
export type RunningProcessStatus = (typeof runningProcessStatuses)[number];
