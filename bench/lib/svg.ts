import { percentile } from "./stats.ts";
import { formatValue } from "./table.ts";
import type { Curve, Distribution, Row } from "./types.ts";

/**
 * One SVG, three panels: the latency distributions (log ms axis, box p25–p75, whiskers
 * p5–p95, median, p99 and the target), the scaling curves (log–log), and every row of
 * the table as a status line.
 */
const WIDTH = 980;
const FONT = "font-family='system-ui, sans-serif' font-size='12'";
const PASS = "#1a7f37";
const FAIL = "#cf222e";
const MUTED = "#6e7781";
const COLORS = ["#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#cf222e"];

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const text = (x: number, y: number, content: string, attrs = "") =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;
const line = (x1: number, y1: number, x2: number, y2: number, attrs: string) =>
  `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" ${attrs}/>`;

/** Decades from 10^lo to 10^hi, mapped onto [x0, x1]. */
function logScale(min: number, max: number, x0: number, x1: number) {
  const lo = Math.floor(Math.log10(Math.max(min, 0.01)));
  const hi = Math.ceil(Math.log10(Math.max(max, min * 10, 0.1)));
  const at = (value: number) =>
    x0 + ((Math.log10(Math.max(value, 10 ** lo)) - lo) / (hi - lo || 1)) * (x1 - x0);
  const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  return { at, ticks };
}

const msLabel = (ms: number) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`);

function distributionsPanel(distributions: Distribution[], top: number): { svg: string; height: number } {
  const left = 230;
  const right = WIDTH - 30;
  const rowHeight = 34;
  const all = distributions.flatMap((d) => [...d.samples, d.target ?? Number.NaN]).filter((v) => v > 0);
  const scale = logScale(Math.min(...all), Math.max(...all), left, right);
  const bottom = top + 30 + distributions.length * rowHeight;
  const parts = [text(20, top + 14, "Latency distributions (log scale)", "font-weight='600' font-size='14'")];
  for (const tick of scale.ticks) {
    const x = scale.at(tick);
    parts.push(line(x, top + 24, x, bottom, "stroke='#d0d7de'"));
    parts.push(text(x, bottom + 14, msLabel(tick), `text-anchor='middle' fill='${MUTED}'`));
  }
  distributions.forEach((d, i) => {
    const y = top + 30 + i * rowHeight + rowHeight / 2;
    const [p5, p25, p50, p75, p95, p99] = [5, 25, 50, 75, 95, 99].map((p) =>
      percentile(d.samples, p),
    ) as number[];
    const ok = d.target === undefined || percentile(d.samples, d.targetAt ?? 50) <= d.target;
    const color = ok ? PASS : FAIL;
    parts.push(text(20, y + 4, `${d.label} (n=${d.samples.length})`));
    // Up to 300 samples as dots, spread vertically so that they do not hide each other.
    const step = Math.max(1, Math.floor(d.samples.length / 300));
    d.samples.forEach((value, k) => {
      if (k % step !== 0) return;
      const jitter = (((k * 7919) % 17) / 16 - 0.5) * 14;
      parts.push(
        `<circle cx="${scale.at(value).toFixed(1)}" cy="${(y + jitter).toFixed(1)}" r="1.6" fill="${color}" fill-opacity="0.25"/>`,
      );
    });
    parts.push(line(scale.at(p5 as number), y, scale.at(p95 as number), y, `stroke='${color}'`));
    const x25 = scale.at(p25 as number);
    parts.push(
      `<rect x="${x25.toFixed(1)}" y="${y - 7}" width="${Math.max(1, scale.at(p75 as number) - x25).toFixed(1)}" height="14" fill="${color}" fill-opacity="0.2" stroke="${color}"/>`,
    );
    parts.push(
      line(
        scale.at(p50 as number),
        y - 9,
        scale.at(p50 as number),
        y + 9,
        `stroke='${color}' stroke-width='3'`,
      ),
    );
    parts.push(
      text(scale.at(p99 as number), y - 9, "p99", `text-anchor='middle' font-size='9' fill='${MUTED}'`),
    );
    parts.push(line(scale.at(p99 as number), y - 6, scale.at(p99 as number), y + 6, `stroke='${MUTED}'`));
    if (d.target !== undefined) {
      const x = scale.at(d.target);
      parts.push(line(x, y - 13, x, y + 13, `stroke='${FAIL}' stroke-dasharray='3 2' stroke-width='1.5'`));
    }
  });
  parts.push(
    text(
      left,
      bottom + 30,
      "box p25–p75 · thick line median · whiskers p5–p95 · red dashes the target (green: met)",
      `fill='${MUTED}'`,
    ),
  );
  return { svg: parts.join("\n"), height: bottom + 40 - top };
}

function curvesPanel(curves: Curve[], top: number): { svg: string; height: number } {
  const left = 80;
  const right = 600;
  const plotTop = top + 30;
  const plotBottom = plotTop + 220;
  const xs = curves.flatMap((c) => c.points.map((p) => p.x));
  const ys = curves
    .flatMap((c) => [...c.points.map((p) => p.y), c.target?.y ?? Number.NaN])
    .filter((v) => v > 0);
  const x = logScale(Math.min(...xs), Math.max(...xs), left, right);
  const yScale = logScale(Math.min(...ys), Math.max(...ys), 0, plotBottom - plotTop);
  const y = (value: number) => plotBottom - yScale.at(value);
  const parts = [
    text(20, top + 14, "Scaling with the project's size (log–log)", "font-weight='600' font-size='14'"),
  ];
  for (const tick of x.ticks) {
    parts.push(line(x.at(tick), plotTop, x.at(tick), plotBottom, "stroke='#d0d7de'"));
    parts.push(
      text(
        x.at(tick),
        plotBottom + 14,
        `${tick.toLocaleString("en")} msgs`,
        `text-anchor='middle' fill='${MUTED}'`,
      ),
    );
  }
  for (const tick of yScale.ticks) {
    parts.push(line(left, y(tick), right, y(tick), "stroke='#d0d7de'"));
    parts.push(text(left - 6, y(tick) + 4, msLabel(tick), `text-anchor='end' fill='${MUTED}'`));
  }
  curves.forEach((curve, i) => {
    const color = COLORS[i % COLORS.length];
    const points = curve.points.map((p) => `${x.at(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of curve.points) {
      parts.push(`<circle cx="${x.at(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
      parts.push(text(x.at(p.x) + 6, y(p.y) - 6, formatValue(p.y, "ms"), `font-size='10' fill='${color}'`));
    }
    if (curve.target) {
      const tx = x.at(curve.target.x);
      const ty = y(curve.target.y);
      parts.push(
        `<path d="M${tx - 5},${ty} L${tx + 5},${ty} M${tx},${ty - 5} L${tx},${ty + 5}" stroke="${FAIL}" stroke-width="2"/>`,
      );
    }
    parts.push(`<rect x="${right + 90}" y="${plotTop + i * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(text(right + 108, plotTop + i * 20 + 10, curve.label));
  });
  parts.push(text(right + 90, plotTop + curves.length * 20 + 14, "red cross: the target", `fill='${FAIL}'`));
  return { svg: parts.join("\n"), height: plotBottom + 30 - top };
}

function rowsPanel(rows: Row[], top: number): { svg: string; height: number } {
  const parts = [text(20, top + 14, "Every case", "font-weight='600' font-size='14'")];
  rows.forEach((row, i) => {
    const y = top + 36 + i * 18;
    const color =
      row.status === "pass" ? PASS : row.status === "FAIL" || row.status === "error" ? FAIL : MUTED;
    parts.push(`<circle cx="26" cy="${y - 4}" r="5" fill="${color}"/>`);
    parts.push(text(38, y, row.case));
    parts.push(text(420, y, formatValue(row.p50, row.unit), "text-anchor='end'"));
    parts.push(text(435, y, row.target, `fill='${MUTED}'`));
    parts.push(text(600, y, row.note ? `${row.status}: ${row.note}` : row.status, `fill='${color}'`));
  });
  return { svg: parts.join("\n"), height: 40 + rows.length * 18 };
}

export function renderSvg(
  title: string,
  rows: Row[],
  distributions: Distribution[],
  curves: Curve[],
): string {
  const panels: string[] = [];
  let y = 44;
  for (const render of [
    distributions.length > 0 ? (top: number) => distributionsPanel(distributions, top) : undefined,
    curves.length > 0 ? (top: number) => curvesPanel(curves, top) : undefined,
    (top: number) => rowsPanel(rows, top),
  ]) {
    if (!render) continue;
    const panel = render(y);
    panels.push(panel.svg);
    y += panel.height + 24;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(20, 26, title, "font-weight='700' font-size='16'"),
    ...panels,
    "</svg>",
    "",
  ].join("\n");
}
