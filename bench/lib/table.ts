import type { Row } from "./types.ts";

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (unit === "ms" && value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit === "ms" ? " ms" : unit ? ` ${unit}` : ""}`;
}

/** One plain-text table: case, n, p50, p95 / p99, target, status. */
export function formatTable(rows: Row[]): string {
  const header = ["case", "n", "p50", "p95 / p99", "target", "status"];
  const lines = rows.map((row) => [
    row.case,
    String(row.n),
    formatValue(row.p50, row.unit),
    row.p95 === undefined && row.p99 === undefined
      ? ""
      : `${formatValue(row.p95, row.unit)} / ${formatValue(row.p99, row.unit)}`,
    row.target,
    row.note ? `${row.status} (${row.note})` : row.status,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 1 || i === 2 || i === 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...lines.map(format)].join(
    "\n",
  );
}
