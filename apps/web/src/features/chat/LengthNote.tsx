import { describeLength, type LengthStatus } from "../../lib/length-limit.ts";

/**
 * What a text box says about its length: the count near the limit, how much too long
 * past it. A polite live region, so a screen reader hears it too.
 */
export function LengthNote({ id, status }: { id: string; status: LengthStatus }) {
  return (
    <span id={id} role="status" className={`length-note length-${status.kind}`}>
      {describeLength(status)}
    </span>
  );
}
