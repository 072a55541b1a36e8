/**
 * Reading one gauge out of a Prometheus text exposition (format 0.0.4, which OpenMetrics text
 * also satisfies for plain samples): an endpoint's queue depth for latency-budget dispatch.
 * prom-client writes this format but does not parse it, and the one parser on npm
 * (parse-prometheus-text-format) is unmaintained and untyped, so this is the small part needed:
 * sample lines `name{label="value",...} value [timestamp]`, label values with the escapes
 * \\, \" and \n; comments and other metrics skipped.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** The samples of metric `name` (every label set); malformed lines are skipped. */
export function parseSamples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || !line.startsWith(name)) continue;
    const sample = parseLine(line);
    if (sample && sample.name === name) out.push(sample);
  }
  return out;
}

function parseLine(line: string): Sample | null {
  const m = NAME.exec(line);
  if (!m) return null;
  let rest = line.slice(m[0].length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) break;
      const ln = LABEL_NAME.exec(rest);
      if (!ln) return null;
      rest = rest.slice(ln[0].length).trimStart();
      if (!rest.startsWith('="')) return null;
      let value = '';
      let i = 2;
      for (; i < rest.length && rest[i] !== '"'; i++) {
        if (rest[i] === '\\' && i + 1 < rest.length) {
          const next = rest[++i];
          value += next === 'n' ? '\n' : next;
        } else value += rest[i];
      }
      if (i >= rest.length) return null; // unterminated value
      labels[ln[0]] = value;
      rest = rest.slice(i + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
    }
    rest = rest.slice(1);
  }
  const [valueText] = rest.trim().split(/\s+/);
  if (valueText === undefined || valueText === '') return null;
  const value =
    valueText === '+Inf' || valueText === 'Inf'
      ? Infinity
      : valueText === '-Inf'
        ? -Infinity
        : Number(valueText);
  if (Number.isNaN(value) && valueText !== 'NaN') return null;
  return { name: m[0], labels, value };
}

/** Labels that name the model a per-model series is about (vLLM uses `model_name`). */
export const MODEL_LABELS = ['model', 'model_name'] as const;

/**
 * The gauge's value for one endpoint model: the series whose `model` (or `model_name`) label is
 * that name; when the metric carries no model label (one server, one model), the sum of its
 * series. null when the metric is absent or no series is about this model.
 */
export function gaugeForModel(text: string, metric: string, modelName: string): number | null {
  const samples = parseSamples(text, metric).filter((s) => Number.isFinite(s.value));
  if (samples.length === 0) return null;
  const labelled = samples.filter((s) => MODEL_LABELS.some((l) => l in s.labels));
  if (labelled.length === 0) return samples.reduce((sum, s) => sum + s.value, 0);
  const mine = labelled.filter((s) => MODEL_LABELS.some((l) => s.labels[l] === modelName));
  return mine.length === 0 ? null : mine.reduce((sum, s) => sum + s.value, 0);
}
