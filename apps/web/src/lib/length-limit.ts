/**
 * What a text box says about its length against a limit, so nothing typed is cut
 * silently: nothing while far from it, the count once near it, and how much too long
 * past it (the text is kept; sending waits until it fits).
 */
export type LengthStatus =
  | { kind: "fine" }
  | { kind: "near"; length: number; max: number }
  | { kind: "over"; length: number; max: number; excess: number };

/** The count shows from this share of the limit on. */
export const NEAR_LIMIT = 0.9;

export function lengthStatus(length: number, max: number): LengthStatus {
  if (length > max) return { kind: "over", length, max, excess: length - max };
  if (length >= Math.floor(max * NEAR_LIMIT)) return { kind: "near", length, max };
  return { kind: "fine" };
}

const count = new Intl.NumberFormat("en");

/** "95,000 / 100,000 characters"; "Too long by 1,900,000 characters (the most is 100,000)". */
export function describeLength(status: LengthStatus): string {
  switch (status.kind) {
    case "fine":
      return "";
    case "near":
      return `${count.format(status.length)} / ${count.format(status.max)} characters`;
    case "over": {
      const plural = status.excess === 1 ? "character" : "characters";
      return `Too long by ${count.format(status.excess)} ${plural} (the most is ${count.format(status.max)})`;
    }
  }
}
