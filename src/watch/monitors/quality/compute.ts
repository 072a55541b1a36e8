/**
 * quality_delta: is the small path shipping worse answers (threshold too aggressive), or are we
 * escalating answers the small model already got right (too conservative)?
 *
 * Per (task, taskType) of routed, served requests: the latest feedback score of those served by
 * the first rung without escalation ("small") vs those served after an escalation ("escalated").
 * Scores in 0..1 read as correctness: mean with a Wilson interval (k = sum of scores); other
 * scales (ratings 1-10) get the normal interval of the mean. The difference small - escalated
 * gets a normal interval with the two sides' variances (p(1-p) for 0..1 scores: an upper bound
 * for fractional ones).
 *
 * - `insufficient`: either side has fewer than `minRequests` feedback events.
 * - `too_aggressive` (critical): the delta's upper bound is below -tolerance: with evidence, the
 *   small path is worse by more than the tolerance.
 * - `too_conservative` (warning): the small path is not worse (delta >= -tolerance) and the
 *   escalation rate's Wilson lower bound exceeds `conservativeEscalationRate`. "Not worse" is the
 *   point estimate: proving equivalence within a 3-point tolerance needs thousands of rated
 *   answers per side, and the figures (with the delta's interval) are in the alert to judge.
 *
 * Escalated requests are the ones the router found hard, so the comparison leans in favour of the
 * small path; shadow agreement (shadow children vs the served baseline answer) is the unbiased
 * view where shadow mode runs, and is reported beside it.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import type { RequestRow } from '../../../request/ledger/types';
import { fmt, groupBy, isSmallServed, pct, recalibrateHint, type WindowView } from '../report-data';
import { meanInterval, twoSidedZ, wilson } from '../stats';
import type { Alert, QualityRow, Rate } from '../types';

type Side = QualityRow['small'];

export function qualityMonitor(
  current: WindowView,
  config: MonitorsConfig,
): { rows: QualityRow[]; alerts: Alert[] } {
  const conf = config.confidence;
  const { tolerance, conservativeEscalationRate } = config.quality;
  const rows: QualityRow[] = [];
  const alerts: Alert[] = [];
  const key = (r: RequestRow) => `${r.task}\u0000${r.taskType}`;
  const shadowsBy = groupBy(current.shadows, key);
  const routedBy = groupBy(current.routed, key);
  const keys = [...new Set([...routedBy.keys(), ...shadowsBy.keys()])].sort();

  for (const k of keys) {
    const list = routedBy.get(k) ?? [];
    const shadows = shadowsBy.get(k) ?? [];
    const [task, taskType] = k.split('\u0000') as [string, string];
    const smallScores = scores(list.filter(isSmallServed), current.score);
    const escScores = scores(
      list.filter((r) => r.escalated),
      current.score,
    );
    const small = side(list.filter(isSmallServed).length, smallScores, conf);
    const escalated = side(list.filter((r) => r.escalated).length, escScores, conf);
    const judged = shadows.filter((s) => s.shadowAgreed !== null);
    const shadowAgreement: Rate | null = judged.length
      ? wilson(judged.filter((s) => s.shadowAgreed).length, judged.length, conf)
      : null;
    const delta =
      small.meanScore !== null && escalated.meanScore !== null ? small.meanScore - escalated.meanScore : null;
    const row: QualityRow = {
      task,
      taskType,
      small,
      escalated,
      shadowAgreement,
      delta,
      verdict: 'insufficient',
    };
    rows.push(row);
    if (
      delta === null ||
      small.withFeedback < config.minRequests ||
      escalated.withFeedback < config.minRequests
    ) {
      continue;
    }
    const half =
      twoSidedZ(conf) *
      Math.sqrt(varianceOf(smallScores) / smallScores.length + varianceOf(escScores) / escScores.length);
    const deltaLow = delta - half;
    const deltaHigh = delta + half;
    const escalation = wilson(list.filter((r) => r.escalated).length, list.length, conf);
    const evidence: Alert['evidence'] = {
      smallMean: small.meanScore,
      smallFeedback: small.withFeedback,
      escalatedMean: escalated.meanScore,
      escalatedFeedback: escalated.withFeedback,
      delta,
      deltaLow,
      deltaHigh,
      tolerance,
      escalationRate: escalation.rate,
      escalationLow: escalation.low,
      shadowAgreement: shadowAgreement?.rate ?? null,
    };
    if (deltaHigh < -tolerance) {
      row.verdict = 'too_aggressive';
      alerts.push({
        monitor: 'quality_delta',
        key: `${task}/${taskType}`,
        severity: 'critical',
        message:
          `${task}/${taskType}: small-path answers score ${fmt(small.meanScore)} vs ${fmt(escalated.meanScore)} escalated ` +
          `(delta ${fmt(delta)}, ${pct(conf)} interval ${fmt(deltaLow)} to ${fmt(deltaHigh)}; tolerance ${fmt(tolerance)}): ` +
          `the threshold is too aggressive, degraded answers are being shipped`,
        value: deltaHigh,
        threshold: -tolerance,
        evidence,
        recommendation: `raise the small rung's threshold (a higher quality target), or ${recalibrateHint(task, list)}`,
      });
    } else if (delta >= -tolerance && escalation.low! > conservativeEscalationRate) {
      row.verdict = 'too_conservative';
      alerts.push({
        monitor: 'quality_delta',
        key: `${task}/${taskType}`,
        severity: 'warning',
        message:
          `${task}/${taskType}: small-path answers score ${fmt(small.meanScore)} vs ${fmt(escalated.meanScore)} escalated ` +
          `(not worse) while ${pct(escalation.rate)} of requests escalate (lower bound ${pct(escalation.low)} > ` +
          `${pct(conservativeEscalationRate)}): the threshold is too conservative, escalations are paid for nothing`,
        value: escalation.low!,
        threshold: conservativeEscalationRate,
        evidence,
        recommendation: `lower the small rung's threshold (a lower quality target), or ${recalibrateHint(task, list)}`,
      });
    } else {
      row.verdict = 'ok';
    }
  }
  return { rows, alerts };
}

function scores(rows: RequestRow[], score: Map<string, number>): number[] {
  const out: number[] = [];
  for (const r of rows) {
    const s = score.get(r.id);
    if (s !== undefined) out.push(s);
  }
  return out;
}

const inUnit = (xs: number[]) => xs.every((x) => x >= 0 && x <= 1);

function side(requests: number, xs: number[], confidence: number): Side {
  if (xs.length === 0) return { requests, withFeedback: 0, meanScore: null, low: null, high: null };
  if (inUnit(xs)) {
    const w = wilson(
      xs.reduce((s, x) => s + x, 0),
      xs.length,
      confidence,
    );
    return { requests, withFeedback: xs.length, meanScore: w.rate, low: w.low, high: w.high };
  }
  const m = meanInterval(xs, confidence);
  return { requests, withFeedback: xs.length, meanScore: m.mean, low: m.low, high: m.high };
}

/** Variance of one score: p(1-p) for 0..1 scores (the Bernoulli bound), the sample variance otherwise. */
function varianceOf(xs: number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (inUnit(xs)) return Math.max(mean * (1 - mean), 1 / (4 * xs.length * xs.length));
  return xs.length > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
}
