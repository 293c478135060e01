/** One sample of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// NaN in any case: Prometheus reads it so (Go's ParseFloat), and prom-client writes "Nan"
// (the event loop's lag before its first sample, in a scrape right after start).
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (-?(?:\d+(?:\.\d*)?(?:e[+-]?\d+)?|[Nn][Aa][Nn])|[+-]Inf)(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"/g;
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

/**
 * Parses the Prometheus text exposition format strictly: every line a `# HELP`, a `# TYPE`
 * or a sample; every sample of a metric whose type was declared before it. Throws at the
 * first line that is not. Answers the declared types and the samples.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type?.[1] && type[2]) {
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const sample = SAMPLE.exec(line);
    if (!sample?.[1] || sample[3] === undefined)
      throw new Error(`Not Prometheus text: ${JSON.stringify(line)}`);
    const name = sample[1];
    const family = types.has(name) ? name : name.replace(HISTOGRAM_PARTS, "");
    if (!types.has(family)) throw new Error(`A sample of ${name} without a # TYPE before it`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? "").matchAll(LABEL)) if (key) labels[key] = value ?? "";
    samples.push({ name, labels, value: Number(sample[3].replace("Inf", "Infinity")) });
  }
  return { types, samples };
}
