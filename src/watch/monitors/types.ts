/**
 * What the monitors compute from the ledger over a time window, and what `cascade report`
 * prints, renders and serves as JSON. One shape for all of them: the scheduled evaluation
 * stores it, the Prometheus gauges read it, the HTML report draws it.
 *
 * Rates and fractions are 0..1; money is USD; times are epoch milliseconds. A statistic that
 * cannot be computed (no rows, no feedback, no savings to divide by) is null, never 0.
 */
import type { EvaluationReport } from '../../request/ledger/evaluations';

export const REPORT_VERSION = 1;

export const MONITORS = [
  'escalation_rate',
  'quality_delta',
  'retry_amplification',
  'router_cost',
  'drift_input',
  'drift_outcome',
  'net_savings',
] as const;
export type MonitorName = (typeof MONITORS)[number];

export interface Window {
  /** Inclusive. */
  from: number;
  /** Exclusive. */
  to: number;
}

/** A proportion with its Wilson interval at the monitors' confidence. */
export interface Rate {
  n: number;
  k: number;
  /** k / n; null when n = 0. */
  rate: number | null;
  low: number | null;
  high: number | null;
}

export interface Alert {
  monitor: MonitorName;
  /** What it is about, stable across evaluations: `qa/general`, `feature:approxTokens`, `prime/gpt-4:accuracy`. */
  key: string;
  severity: 'warning' | 'critical';
  /** One line a person can act on, with the figures in it. */
  message: string;
  /** The statistic that crossed, and what it crossed. */
  value: number;
  threshold: number;
  /** The figures behind it (counts, rates, p-values, the reference). */
  evidence: Record<string, number | string | boolean | null>;
  /** What to do about it, e.g. "recalibrate: cascade calibrate --train ..." */
  recommendation?: string;
}

export interface EscalationRow {
  task: string;
  taskType: string;
  /** This window's escalation rate (served requests; shadows apart). */
  observed: Rate;
  /** The expected rate and its interval, and where it came from; null when there is none. */
  baseline: {
    rate: number;
    low: number;
    high: number;
    source: 'calibration' | 'reference';
    /** The calibration artefact version, or the reference window. */
    ref: string;
  } | null;
  /** Escalation rate per sub-window (oldest first), for "sustained". */
  buckets: Rate[];
  status: 'ok' | 'alert' | 'insufficient';
}

/** Quality of answers served by the first rung ("small") vs after an escalation ("escalated"). */
export interface QualityRow {
  task: string;
  taskType: string;
  /** Mean feedback score (scores in 0..1 read as correctness) per path; null without feedback. */
  small: {
    requests: number;
    withFeedback: number;
    meanScore: number | null;
    low: number | null;
    high: number | null;
  };
  escalated: {
    requests: number;
    withFeedback: number;
    meanScore: number | null;
    low: number | null;
    high: number | null;
  };
  /** Shadow children: share whose routed answer agreed with the served (baseline) one. */
  shadowAgreement: Rate | null;
  /** small - escalated mean score; null when either side lacks feedback. */
  delta: number | null;
  verdict: 'ok' | 'too_aggressive' | 'too_conservative' | 'insufficient';
}

export interface RetryRow {
  task: string;
  /** Share of small-served requests the user retried (a later request links to them). */
  small: Rate;
  large: Rate;
  /** small.rate / large.rate; null when large.rate is 0 or unknown. */
  amplification: number | null;
  /** Retries beyond what the large path's rate would give: requests and their cost. */
  extraRequests: number;
  extraCostUsd: number;
}

/** The three cost layers of the field report, summed over the window. */
export interface CostLayers {
  /** The baseline (the task's static model answering alone) for the same requests. */
  baselineCostUsd: number;
  /** Every model call billed (answers, self-checks, failed attempts, double fallbacks). */
  modelCostUsd: number;
  /** Of modelCostUsd: small-model answers thrown away by an escalation (classifier errors). */
  wastedCostUsd: number;
  /**
   * Of modelCostUsd: calls whose outcome was lost (a worker or server crash, a cancel, a call cut
   * off in flight), priced from their input tokens counted locally; a provider may bill more.
   */
  estimated: { attempts: number; costUsd: number };
  /** Router layer: self-check calls, orchestration actions, decision compute. */
  router: { selfCheckUsd: number; orchestrationUsd: number; decisionUsd: number; totalUsd: number };
  /** System effects: the cost of user retries linked to this window's requests. */
  retryCostUsd: number;
  /** baseline - (model cost - self-checks): the price delta routing actually saved before router costs. */
  grossSavingsUsd: number;
  /** baseline - model cost - orchestration - decision (self-checks are in the model cost). */
  netSavingsUsd: number;
  /** router.totalUsd / grossSavingsUsd; null when gross savings <= 0. */
  routerCostFraction: number | null;
  /** When net savings are negative: the layer that costs the most (what made it unprofitable). */
  dominantLoss: 'wasted' | 'self_check' | 'orchestration' | 'decision' | 'retries' | 'no_savings' | null;
}

export interface FeatureDrift {
  feature: string;
  psi: number;
  /** PSI above which the shift is not sampling noise at the monitors' confidence (chi-square). */
  critical: number;
  n: number;
  referenceN: number;
  drifted: boolean;
}

export interface OutcomeDrift {
  task: string;
  model: string;
  /** Accuracy from feedback, this window vs the reference; null without feedback. */
  accuracy: { current: Rate; reference: Rate; pValue: number | null } | null;
  escalation: { current: Rate; reference: Rate; pValue: number | null };
  /** PSI of the raw confidence distribution; null when no confidences were recorded. */
  confidence: { psi: number; critical: number; n: number; referenceN: number } | null;
  /** Mean output tokens of this model's answers, current vs reference. */
  tokensOut: { current: number | null; reference: number | null };
  drifted: boolean;
}

export interface SeriesPoint {
  /** Bucket start. */
  at: number;
  requests: number;
  escalated: number;
  costUsd: number;
  baselineCostUsd: number;
  routerCostUsd: number;
  netSavingsUsd: number;
}

/** Spend as a manager reads it: by model, by tenant, a month at this pace, the previous period. */
export interface SpendSection {
  current: {
    requests: number;
    modelCostUsd: number;
    orchestrationCostUsd: number;
    baselineCostUsd: number;
    /** baseline - model cost - orchestration. */
    netSavingsUsd: number;
  };
  /** The same figures over the reference window, when the reference is one (else null). */
  previous: (SpendSection['current'] & { window: Window }) | null;
  /** The window's figures scaled to 30 days at the window's pace. */
  monthly: { requests: number; costUsd: number; netSavingsUsd: number };
  /** Every call billed (answers, checks, retries), by model, most expensive first. */
  byModel: { model: string; attempts: number; costUsd: number }[];
  /** By the requests' tenant (null: none in their metadata), most expensive first. */
  byTenant: {
    tenant: string | null;
    requests: number;
    costUsd: number;
    orchestrationCostUsd: number;
    netSavingsUsd: number;
  }[];
}

export interface Report {
  reportVersion: typeof REPORT_VERSION;
  generatedAt: number;
  window: Window;
  /** What drift compares against: a calibration snapshot or an earlier window. */
  reference: { kind: 'window'; window: Window } | { kind: 'calibration'; version: string } | null;
  bucketMs: number;
  requests: number;
  shadowRequests: number;
  escalation: { overall: Rate; rows: EscalationRow[] };
  costs: CostLayers;
  /** Absent in reports rendered from JSON written before it existed. */
  spend?: SpendSection;
  quality: QualityRow[];
  retries: RetryRow[];
  drift: { features: FeatureDrift[]; outcomes: OutcomeDrift[] };
  series: SeriesPoint[];
  alerts: Alert[];
}

/**
 * The report of a stored evaluation. The ledger (src/request/ledger/evaluations.ts) keeps it as JSON and
 * types only the fields it reads itself; what it hands back is what the scheduled evaluation
 * stored, a Report (the one place that says so).
 */
export function storedReport(report: EvaluationReport): Report {
  return report as Report;
}
