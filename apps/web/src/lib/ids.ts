import { v7 } from "uuid";

/** New row ids: UUID v7, time-ordered, made here so the optimistic and stored rows share a key. */
export const newId = (): string => v7();
