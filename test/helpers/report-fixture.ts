/**
 * Reports to render in the report tests: a realistic day (six tasks, 24 hourly buckets, feedback
 * on most routes, a drifted input feature, a model whose accuracy dropped, alerts), the same day
 * losing money, and a window with nothing in it. Seeded: the same report every run.
 */
import {
  type Alert,
  type EscalationRow,
  type FeatureDrift,
  type OutcomeDrift,
  type QualityRow,
  type Rate,
  type Report,
  REPORT_VERSION,
  type RetryRow,
  type SeriesPoint,
} from '../../src/watch/monitors/types';
import { seededRandom } from '../../src/request/router/random';

export const HOUR = 3_600_000;
/** 2026-11-27 00:00 UTC. */
export const FIXTURE_FROM = Date.UTC(2026, 10, 27);
const SUB_WINDOWS = 12;
const Z = 1.96;

/** A proportion with its Wilson interval. */
export function wilson(k: number, n: number): Rate {
  if (n === 0) return { n, k, rate: null, low: null, high: null };
  const p = k / n;
  const d = 1 + (Z * Z) / n;
  const c = (p + (Z * Z) / (2 * n)) / d;
  const m = (Z * Math.sqrt((p * (1 - p)) / n + (Z * Z) / (4 * n * n))) / d;
  return { n, k, rate: p, low: Math.max(0, c - m), high: Math.min(1, c + m) };
}

interface TaskSpec {
  task: string;
  taskType: string;
  /** Requests over the day. */
  requests: number;
  /** Escalation rate at the start and at the end of the day. */
  escalation: [number, number];
  baseline: { rate: number; halfWidth: number; source: 'calibration' | 'reference'; ref: string } | null;
  status: EscalationRow['status'];
  small: { score: number | null; feedback: number };
  escalated: { score: number | null; feedback: number };
  verdict: QualityRow['verdict'];
  retry: { small: number; large: number };
  models: [small: string, large: string];
}

const TASKS: TaskSpec[] = [
  {
    task: 'qa',
    taskType: 'general',
    requests: 4200,
    escalation: [0.17, 0.31],
    baseline: { rate: 0.18, halfWidth: 0.025, source: 'calibration', ref: 'cal-2026-11-20.3' },
    status: 'alert',
    small: { score: 0.71, feedback: 620 },
    escalated: { score: 0.86, feedback: 240 },
    verdict: 'too_aggressive',
    retry: { small: 0.081, large: 0.034 },
    models: ['llama3.1-8b', 'llama3.1-405b'],
  },
  {
    task: 'support',
    taskType: 'billing',
    requests: 2600,
    escalation: [0.12, 0.13],
    baseline: { rate: 0.125, halfWidth: 0.02, source: 'calibration', ref: 'cal-2026-11-20.3' },
    status: 'ok',
    small: { score: 0.88, feedback: 410 },
    escalated: { score: 0.9, feedback: 70 },
    verdict: 'ok',
    retry: { small: 0.041, large: 0.037 },
    models: ['gpt-4o-mini', 'gpt-4o'],
  },
  {
    task: 'code',
    taskType: 'python',
    requests: 1800,
    escalation: [0.34, 0.33],
    baseline: { rate: 0.35, halfWidth: 0.03, source: 'reference', ref: '2026-11-20..2026-11-27' },
    status: 'ok',
    small: { score: 0.79, feedback: 150 },
    escalated: { score: 0.81, feedback: 95 },
    verdict: 'ok',
    retry: { small: 0.066, large: 0.052 },
    models: ['qwen2.5-coder-7b', 'claude-sonnet'],
  },
  {
    task: 'summarize',
    taskType: 'long-doc',
    requests: 1100,
    escalation: [0.06, 0.05],
    baseline: { rate: 0.09, halfWidth: 0.02, source: 'calibration', ref: 'cal-2026-11-20.3' },
    status: 'ok',
    small: { score: 0.83, feedback: 60 },
    escalated: { score: 0.74, feedback: 12 },
    verdict: 'too_conservative',
    retry: { small: 0.02, large: 0.025 },
    models: ['llama3.1-8b', 'llama3.1-70b'],
  },
  {
    task: 'extract',
    taskType: 'invoice',
    requests: 160,
    escalation: [0.22, 0.2],
    baseline: null,
    status: 'insufficient',
    small: { score: 0.92, feedback: 9 },
    escalated: { score: null, feedback: 0 },
    verdict: 'insufficient',
    retry: { small: 0.03, large: 0 },
    models: ['gpt-4o-mini', 'gpt-4o'],
  },
  {
    task: 'classify',
    taskType: 'intent',
    requests: 900,
    escalation: [0.04, 0.045],
    baseline: { rate: 0.05, halfWidth: 0.015, source: 'calibration', ref: 'cal-2026-11-20.3' },
    status: 'ok',
    small: { score: null, feedback: 0 },
    escalated: { score: null, feedback: 0 },
    verdict: 'insufficient',
    retry: { small: 0.011, large: 0.01 },
    models: ['llama3.1-8b', 'llama3.1-70b'],
  },
];

/** Requests of a task per sub-window (a day-shaped curve). */
function shape(i: number, n: number): number {
  return 0.55 + 0.45 * Math.sin(Math.PI * ((i + 0.5) / n - 0.15)) ** 2;
}

function split(total: number, n: number, rnd: () => number): number[] {
  const w = Array.from({ length: n }, (_, i) => shape(i, n) * (0.9 + 0.2 * rnd()));
  const sum = w.reduce((a, b) => a + b, 0);
  const out = w.map((x) => Math.floor((x / sum) * total));
  out[n - 1] = (out[n - 1] ?? 0) + total - out.reduce((a, b) => a + b, 0);
  return out;
}

function escalationAt(t: TaskSpec, frac: number): number {
  // Flat, then the qa climb happens over the last third of the day.
  const [a, b] = t.escalation;
  const s = Math.max(0, (frac - 0.6) / 0.4);
  return a + (b - a) * s;
}

function scoreSide(s: { score: number | null; feedback: number }, requests: number) {
  if (s.score === null || s.feedback === 0)
    return { requests, withFeedback: s.feedback, meanScore: null, low: null, high: null };
  const half = Z * Math.sqrt((s.score * (1 - s.score)) / s.feedback);
  return {
    requests,
    withFeedback: s.feedback,
    meanScore: s.score,
    low: Math.max(0, s.score - half),
    high: Math.min(1, s.score + half),
  };
}

export interface FixtureOptions {
  /** The same traffic, but routing lost money (self-checks on every request). */
  netNegative?: boolean;
}

/** A realistic day of traffic. */
export function buildReport(opts: FixtureOptions = {}): Report {
  const rnd = seededRandom(7);
  const from = FIXTURE_FROM;
  const to = from + 24 * HOUR;

  // Per task, per hour: requests and escalations.
  const perTask = TASKS.map((t) => {
    const reqs = split(t.requests, 24, rnd);
    const esc = reqs.map((n, h) => {
      const p = escalationAt(t, (h + 0.5) / 24);
      return Math.min(n, Math.max(0, Math.round(n * p + (rnd() - 0.5) * Math.sqrt(n * p) * 2)));
    });
    return { t, reqs, esc };
  });

  const series: SeriesPoint[] = Array.from({ length: 24 }, (_, h) => {
    let requests = 0;
    let escalated = 0;
    for (const p of perTask) {
      requests += p.reqs[h] ?? 0;
      escalated += p.esc[h] ?? 0;
    }
    const small = requests - escalated;
    const selfCheck = requests * 0.00004 * (opts.netNegative ? 12 : 1);
    const costUsd = small * 0.0006 + escalated * (0.0006 + 0.0072) + selfCheck;
    const baselineCostUsd = requests * 0.0068 * (opts.netNegative ? 0.35 : 1);
    const orchestration = requests * 0.00009;
    const decision = requests * 0.00002;
    const routerCostUsd = selfCheck + orchestration + decision;
    return {
      at: from + h * HOUR,
      requests,
      escalated,
      costUsd,
      baselineCostUsd,
      routerCostUsd,
      netSavingsUsd: baselineCostUsd - costUsd - orchestration - decision,
    };
  });

  const sum = (f: (p: SeriesPoint) => number) => series.reduce((s, p) => s + f(p), 0);
  const requests = sum((p) => p.requests);
  const escalated = sum((p) => p.escalated);
  const baselineCostUsd = sum((p) => p.baselineCostUsd);
  const modelCostUsd = sum((p) => p.costUsd);
  const selfCheckUsd = requests * 0.00004 * (opts.netNegative ? 12 : 1);
  const orchestrationUsd = requests * 0.00009;
  const decisionUsd = requests * 0.00002;
  const wastedCostUsd = escalated * 0.0006;
  const grossSavingsUsd = baselineCostUsd - (modelCostUsd - selfCheckUsd);
  const netSavingsUsd = baselineCostUsd - modelCostUsd - orchestrationUsd - decisionUsd;
  const routerTotal = selfCheckUsd + orchestrationUsd + decisionUsd;
  const retryCostUsd = 0.41;
  const layers = {
    wasted: wastedCostUsd,
    self_check: selfCheckUsd,
    orchestration: orchestrationUsd,
    decision: decisionUsd,
    retries: retryCostUsd,
  };
  const dominant =
    (Object.entries(layers) as [keyof typeof layers, number][]).sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;

  const escalationRows: EscalationRow[] = perTask.map(({ t, reqs, esc }) => {
    const n = reqs.reduce((a, b) => a + b, 0);
    const k = esc.reduce((a, b) => a + b, 0);
    const per = 24 / SUB_WINDOWS;
    const buckets = Array.from({ length: SUB_WINDOWS }, (_, i) => {
      const bn = reqs.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0);
      const bk = esc.slice(i * per, (i + 1) * per).reduce((a, b) => a + b, 0);
      return wilson(bk, bn);
    });
    return {
      task: t.task,
      taskType: t.taskType,
      observed: wilson(k, n),
      baseline: t.baseline && {
        rate: t.baseline.rate,
        low: t.baseline.rate - t.baseline.halfWidth,
        high: t.baseline.rate + t.baseline.halfWidth,
        source: t.baseline.source,
        ref: t.baseline.ref,
      },
      buckets,
      status: t.status,
    };
  });

  const quality: QualityRow[] = perTask.map(({ t, reqs, esc }) => {
    const n = reqs.reduce((a, b) => a + b, 0);
    const k = esc.reduce((a, b) => a + b, 0);
    const small = scoreSide(t.small, n - k);
    const escalatedSide = scoreSide(t.escalated, k);
    return {
      task: t.task,
      taskType: t.taskType,
      small,
      escalated: escalatedSide,
      shadowAgreement: t.task === 'qa' ? wilson(171, 200) : t.task === 'support' ? wilson(93, 100) : null,
      delta:
        small.meanScore !== null && escalatedSide.meanScore !== null
          ? small.meanScore - escalatedSide.meanScore
          : null,
      verdict: t.verdict,
    };
  });

  const retries: RetryRow[] = perTask.map(({ t, reqs, esc }) => {
    const n = reqs.reduce((a, b) => a + b, 0);
    const k = esc.reduce((a, b) => a + b, 0);
    const small = wilson(Math.round((n - k) * t.retry.small), n - k);
    const large = wilson(Math.round(k * t.retry.large), k);
    const amplification = large.rate ? (small.rate ?? 0) / large.rate : null;
    const extraRequests = Math.max(0, Math.round((n - k) * ((small.rate ?? 0) - (large.rate ?? 0))));
    return { task: t.task, small, large, amplification, extraRequests, extraCostUsd: extraRequests * 0.0011 };
  });

  const features: FeatureDrift[] = [
    ['approxTokens', 0.412, 0.031, true],
    ['hasCode', 0.008, 0.012, false],
    ['language', 0.019, 0.044, false],
    ['turns', 0.057, 0.029, true],
    ['questionMarks', 0.011, 0.021, false],
    ['systemPromptTokens', 0.004, 0.027, false],
    ['attachments', 0.0, 0.009, false],
    ['taskType', 0.013, 0.033, false],
  ].map(([feature, psi, critical, drifted]) => ({
    feature: feature as string,
    psi: psi as number,
    critical: critical as number,
    n: requests,
    referenceN: 81_240,
    drifted: drifted as boolean,
  }));

  const outcomes: OutcomeDrift[] = perTask.flatMap(({ t }, i) =>
    t.models.map((model, j): OutcomeDrift => {
      const drifted = t.task === 'qa' && j === 0;
      const accRef = 0.78 - 0.04 * i + 0.1 * j;
      const accCur = drifted ? accRef - 0.09 : accRef + (rnd() - 0.5) * 0.02;
      const escRef = t.escalation[0];
      const escCur = drifted ? t.escalation[1] - 0.05 : escRef + (rnd() - 0.5) * 0.01;
      const noFeedback = t.small.score === null;
      return {
        task: t.task,
        model,
        accuracy: noFeedback
          ? null
          : {
              current: wilson(Math.round(accCur * 300), 300),
              reference: wilson(Math.round(accRef * 2400), 2400),
              pValue: drifted ? 0.0004 : 0.41 + 0.05 * i,
            },
        escalation: {
          current: wilson(Math.round(escCur * 1000), 1000),
          reference: wilson(Math.round(escRef * 8000), 8000),
          pValue: drifted ? 0.0021 : 0.38 + 0.04 * i,
        },
        confidence:
          j === 0 ? { psi: drifted ? 0.19 : 0.011, critical: 0.035, n: 1000, referenceN: 8000 } : null,
        tokensOut: { current: 212 + i * 31 + (drifted ? 64 : 0), reference: 210 + i * 31 },
        drifted,
      };
    }),
  );

  const qa = escalationRows[0]!;
  const alerts: Alert[] = [
    {
      monitor: 'escalation_rate',
      key: 'qa/general',
      severity: 'critical',
      message: `qa/general escalates ${(100 * (qa.buckets.at(-1)?.rate ?? 0)).toFixed(1)}% over the last 6 sub-windows, above the calibrated 15.5–20.5%`,
      value: qa.buckets.at(-1)?.rate ?? 0,
      threshold: 0.205,
      evidence: { n: qa.observed.n, k: qa.observed.k, baseline: 0.18, sustainedBuckets: 4 },
      recommendation:
        'recalibrate: cascade calibrate --train data/qa.jsonl --ladder llama3.1-8b,llama3.1-405b',
    },
    {
      monitor: 'quality_delta',
      key: 'qa/general',
      severity: 'warning',
      message: 'small answers score 0.150 below escalated ones on qa/general (620 vs 240 with feedback)',
      value: -0.15,
      threshold: -0.05,
      evidence: { small: 0.71, escalated: 0.86, pValue: 0.0001 },
      recommendation: 'raise the qa escalation threshold or recalibrate',
    },
    {
      monitor: 'drift_input',
      key: 'feature:approxTokens',
      severity: 'warning',
      message: 'approxTokens drifted: PSI 0.412 above the critical 0.031 (prompts got longer)',
      value: 0.412,
      threshold: 0.031,
      evidence: { n: requests, referenceN: 81_240 },
    },
    {
      monitor: 'drift_outcome',
      key: 'qa/llama3.1-8b:accuracy',
      severity: 'critical',
      message: 'llama3.1-8b on qa: accuracy 69.0% vs 78.0% in the reference (p=0.0004)',
      value: 0.69,
      threshold: 0.78,
      evidence: { pValue: 0.0004, current: 0.69, reference: 0.78 },
      recommendation: 'check the provider for a model change; recalibrate qa',
    },
  ];
  if (opts.netNegative)
    alerts.push({
      monitor: 'net_savings',
      key: 'all',
      severity: 'critical',
      message: `routing lost $${(-netSavingsUsd).toFixed(4)} against the baseline over the window`,
      value: netSavingsUsd,
      threshold: 0,
      evidence: { baseline: baselineCostUsd, model: modelCostUsd },
    });

  return {
    reportVersion: REPORT_VERSION,
    generatedAt: to + 5 * 60_000,
    window: { from, to },
    reference: { kind: 'window', window: { from: from - 7 * 24 * HOUR, to: from } },
    bucketMs: HOUR,
    requests,
    shadowRequests: 312,
    escalation: { overall: wilson(escalated, requests), rows: escalationRows },
    costs: {
      baselineCostUsd,
      modelCostUsd,
      wastedCostUsd,
      estimated: { attempts: 3, costUsd: 0.0123 },
      router: { selfCheckUsd, orchestrationUsd, decisionUsd, totalUsd: routerTotal },
      retryCostUsd,
      grossSavingsUsd,
      netSavingsUsd,
      routerCostFraction: grossSavingsUsd > 0 ? routerTotal / grossSavingsUsd : null,
      dominantLoss: netSavingsUsd < 0 ? (grossSavingsUsd <= 0 ? 'no_savings' : dominant) : null,
    },
    spend: {
      current: {
        requests,
        modelCostUsd,
        orchestrationCostUsd: orchestrationUsd,
        baselineCostUsd,
        netSavingsUsd,
      },
      previous: {
        window: { from: from - 24 * HOUR, to: from },
        requests: 9120,
        modelCostUsd: 41.5,
        orchestrationCostUsd: 0.68,
        baselineCostUsd: 180.25,
        netSavingsUsd: 138.07,
      },
      monthly: {
        requests: requests * 30,
        costUsd: (modelCostUsd + orchestrationUsd) * 30,
        netSavingsUsd: netSavingsUsd * 30,
      },
      byModel: [
        { model: 'llama3.1-405b', attempts: 2400, costUsd: modelCostUsd * 0.8 },
        { model: 'llama3.1-8b', attempts: 9800, costUsd: modelCostUsd * 0.2 },
      ],
      byTenant: [
        {
          tenant: 'acme',
          requests: 6000,
          costUsd: modelCostUsd * 0.7,
          orchestrationCostUsd: 0.4,
          netSavingsUsd: 50,
        },
        {
          tenant: null,
          requests: 1000,
          costUsd: modelCostUsd * 0.3,
          orchestrationCostUsd: 0.1,
          netSavingsUsd: 10,
        },
      ],
    },
    quality,
    retries,
    drift: { features, outcomes },
    series,
    alerts,
  };
}

/** A window with no traffic: every section empty, every statistic null. */
export function buildEmptyReport(): Report {
  const from = FIXTURE_FROM;
  const to = from + 24 * HOUR;
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: to,
    window: { from, to },
    reference: null,
    bucketMs: HOUR,
    requests: 0,
    shadowRequests: 0,
    escalation: { overall: wilson(0, 0), rows: [] },
    costs: {
      baselineCostUsd: 0,
      modelCostUsd: 0,
      wastedCostUsd: 0,
      estimated: { attempts: 0, costUsd: 0 },
      router: { selfCheckUsd: 0, orchestrationUsd: 0, decisionUsd: 0, totalUsd: 0 },
      retryCostUsd: 0,
      grossSavingsUsd: 0,
      netSavingsUsd: 0,
      routerCostFraction: null,
      dominantLoss: null,
    },
    quality: [],
    retries: [],
    drift: { features: [], outcomes: [] },
    series: [],
    alerts: [],
  };
}
