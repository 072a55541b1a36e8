/**
 * What a profile says per task and model: cost, latency, tokens, and the quality signals
 * (reference-label accuracy, agreement with the strongest model's answer, schema validity).
 */
import { normalizeAnswer } from '../../request/router/agreement';
import type { ProfileMeta, ProfileRecord } from './store';

export interface ModelProfile {
  model: string;
  requests: number;
  answered: number;
  failed: number;
  meanCostUsd: number;
  totalCostUsd: number;
  meanTokensIn: number;
  meanTokensOut: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  meanOrchestrationActions: number;
  /** Share correct among answers with a reference label; null when none has one. */
  accuracy: number | null;
  labelled: number;
  /** Share of requests (answered by both) whose normalised answer equals the strongest model's. */
  agreementWithStrongest: number | null;
  /** Share of answers valid against the task's schema; null when the task has none. */
  schemaValidRate: number | null;
}

export interface TaskProfile {
  task: string;
  requests: number;
  strongest: string;
  models: ModelProfile[];
  /** Where the labels come from: `recorded-label`, `reference`, both, or none. */
  labelSources: string[];
}

export function percentile(xs: readonly number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The most expensive model: by measured mean cost over the task's requests, list price to break ties. */
export function strongestModel(
  records: readonly ProfileRecord[],
  meta: ProfileMeta | null,
  models: string[],
): string {
  const price = (m: string) => {
    const p = meta?.models.find((x) => x.id === m)?.pricing;
    return p ? p.inputPerMTok + p.outputPerMTok : 0;
  };
  const cost = (m: string) =>
    mean(records.filter((r) => r.model === m && r.status === 'answered').map((r) => r.costUsd));
  return [...models].sort((a, b) => cost(b) - cost(a) || price(b) - price(a))[0]!;
}

export function summarizeProfile(records: readonly ProfileRecord[], meta: ProfileMeta | null): TaskProfile[] {
  const tasks = [...new Set(records.map((r) => r.task))].sort();
  return tasks.map((task) => {
    const rs = records.filter((r) => r.task === task);
    const models = meta
      ? meta.models.map((m) => m.id).filter((m) => rs.some((r) => r.model === m))
      : [...new Set(rs.map((r) => r.model))];
    const strongest = strongestModel(rs, meta, models);
    const strongAnswer = new Map(
      rs
        .filter((r) => r.model === strongest && r.answer !== null)
        .map((r) => [r.requestId, normalizeAnswer(r.answer!)]),
    );
    return {
      task,
      requests: new Set(rs.map((r) => r.requestId)).size,
      strongest,
      labelSources: [
        ...new Set(
          rs.map((r) => r.quality.correctSource).filter((s): s is NonNullable<typeof s> => s !== null),
        ),
      ],
      models: models.map((model): ModelProfile => {
        const m = rs.filter((r) => r.model === model);
        const ok = m.filter((r) => r.status === 'answered');
        const labelled = ok.filter((r) => r.quality.correct !== null);
        const compared = ok.filter((r) => strongAnswer.has(r.requestId));
        const withSchema = m.filter((r) => r.quality.schemaValid !== null);
        return {
          model,
          requests: m.length,
          answered: ok.length,
          failed: m.length - ok.length,
          meanCostUsd: mean(m.map((r) => r.costUsd)),
          totalCostUsd: m.reduce((s, r) => s + r.costUsd, 0),
          meanTokensIn: mean(ok.map((r) => r.tokensIn)),
          meanTokensOut: mean(ok.map((r) => r.tokensOut)),
          latencyP50Ms: percentile(
            ok.map((r) => r.latencyMs),
            0.5,
          ),
          latencyP95Ms: percentile(
            ok.map((r) => r.latencyMs),
            0.95,
          ),
          meanOrchestrationActions: mean(m.map((r) => r.orchestrationActions)),
          accuracy: labelled.length
            ? labelled.filter((r) => r.quality.correct).length / labelled.length
            : null,
          labelled: labelled.length,
          agreementWithStrongest: compared.length
            ? compared.filter((r) => normalizeAnswer(r.answer!) === strongAnswer.get(r.requestId)).length /
              compared.length
            : null,
          schemaValidRate: withSchema.length
            ? withSchema.filter((r) => r.quality.schemaValid).length / withSchema.length
            : null,
        };
      }),
    };
  });
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const ms = (x: number | null) => (x === null ? '-' : x.toFixed(0));

/** The per-task tables `cascade profile` prints. */
export function formatProfileTables(tasks: readonly TaskProfile[]): string {
  const out: string[] = [];
  for (const t of tasks) {
    out.push(
      `task ${t.task}: ${t.requests} requests; strongest (most expensive) model ${t.strongest}; ` +
        `labels: ${t.labelSources.length ? t.labelSources.join(', ') : 'none (agreement with the strongest model only)'}`,
    );
    const header = [
      'model',
      'answered',
      'failed',
      'mean $',
      'tokens in/out',
      'p50 ms',
      'p95 ms',
      'accuracy',
      'agrees',
      'schema ok',
    ];
    const body = t.models.map((m) => [
      m.model,
      String(m.answered),
      String(m.failed),
      m.meanCostUsd.toExponential(3),
      `${m.meanTokensIn.toFixed(0)}/${m.meanTokensOut.toFixed(0)}`,
      ms(m.latencyP50Ms),
      ms(m.latencyP95Ms),
      pct(m.accuracy),
      pct(m.agreementWithStrongest),
      pct(m.schemaValidRate),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    const row = (r: string[]) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    out.push(row(header), row(widths.map((w) => '-'.repeat(w))), ...body.map(row), '');
  }
  return out.join('\n');
}
