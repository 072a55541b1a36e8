/**
 * Offline replay of one request through a ladder, from recorded outcomes instead of model calls,
 * with the workflow's own decision code (src/request/router/rung-decision.ts) and calibration
 * (src/request/router/confidence.ts): the walk below is src/temporal/workflows/ladder.ts without the I/O.
 *
 * Billing follows the workflow: a rung that checks its confidence bills its answer call plus, for
 * a self-check or judge source, the second call (`costUsd`, which in ../shared/data already holds
 * both); a rung that does not check (the last, or one with no confidence source) bills its answer
 * call alone (`answerCostUsd`); a skipped rung bills nothing. Every rung called before the
 * serving one is wasted cost (the double cost of a fallback).
 */
import type { ConfidenceSource } from '../../request/config/schema';
import { calibrate } from '../../request/router/confidence';
import type { CalibrationMap } from '../../request/router/policy';
import {
  confidenceStands,
  decideRung,
  type RungSkip,
  shouldSkipRung,
} from '../../request/router/rung-decision';

export interface RungPolicy {
  model: string;
  /** null: the rung's answer stands unchecked (a pre-route-only rung, or the last one). */
  source: ConfidenceSource | null;
  calibration: CalibrationMap;
  threshold: number | null;
  skip: RungSkip | null;
}

/** What one ladder model did on one recorded request. */
export interface RecordedOutcome {
  correct: boolean;
  /** The raw confidence signal, null when there is none. */
  raw: number | null;
  /** Cost when the rung checks its confidence: the answer call plus any self-check call. */
  costUsd: number;
  /** Cost of the answer call alone. */
  answerCostUsd: number;
}

export interface ReplayRow {
  /** One outcome per rung, in ladder order. */
  outcomes: RecordedOutcome[];
  /** The classifier's P(good enough) per rung, null where there is none (cold start). */
  predicted: (number | null)[];
}

export interface ReplayResult {
  served: number;
  correct: boolean;
  costUsd: number;
  /** At least one escalation (the trace's `escalations` is non-empty). */
  escalated: boolean;
  skipped: number;
}

/** The calibrated P(correct) of each rung of a row, computed once (thresholds vary, maps do not). */
export function calibratedOf(policy: readonly RungPolicy[], row: ReplayRow): (number | null)[] {
  return policy.map((r, i) => {
    const raw = row.outcomes[i]!.raw;
    return r.source === null || raw === null ? null : calibrate(r.calibration, raw, r.source);
  });
}

export function replayRequest(
  policy: readonly RungPolicy[],
  row: ReplayRow,
  calibrated: readonly (number | null)[] = calibratedOf(policy, row),
): ReplayResult {
  const n = policy.length;
  let cost = 0;
  let escalated = false;
  let skipped = 0;
  for (let i = 0; i < n; i++) {
    const rung = policy[i]!;
    if (shouldSkipRung(rung.skip, row.predicted[i], i, n)) {
      skipped++;
      continue;
    }
    const isLast = i === n - 1;
    const outcome = row.outcomes[i]!;
    const checksConfidence = !isLast && rung.source !== null;
    cost += checksConfidence ? outcome.costUsd : outcome.answerCostUsd;
    const decision = decideRung({
      isLast,
      schemaValid: null,
      confidencePassed: checksConfidence
        ? confidenceStands(calibrated[i] ?? null, rung.threshold ?? 1)
        : null,
    });
    if (decision.action === 'stand') {
      return { served: i, correct: outcome.correct, costUsd: cost, escalated, skipped };
    }
    escalated = true;
  }
  // Unreachable: the last rung always stands.
  throw new Error('ladder ended without a served answer');
}

export interface ReplaySummary {
  requests: number;
  /** Accuracy of the served answers / accuracy of the last rung alone. */
  relativeQuality: number;
  /** Everything billed / the last rung answering alone. */
  relativeCost: number;
  escalationRate: number;
  skipRate: number;
  accuracy: number;
  largeAccuracy: number;
  costUsd: number;
  largeOnlyCostUsd: number;
}

/** Replays every row and sums it up against the last rung answering alone. */
export function replaySummary(policy: readonly RungPolicy[], rows: readonly ReplayRow[]): ReplaySummary {
  const last = policy.length - 1;
  let correct = 0;
  let large = 0;
  let cost = 0;
  let largeCost = 0;
  let escalated = 0;
  let skipped = 0;
  for (const row of rows) {
    const r = replayRequest(policy, row);
    if (r.correct) correct++;
    if (row.outcomes[last]!.correct) large++;
    cost += r.costUsd;
    largeCost += row.outcomes[last]!.answerCostUsd;
    if (r.escalated) escalated++;
    if (r.skipped > 0) skipped++;
  }
  const n = rows.length;
  return {
    requests: n,
    relativeQuality: large === 0 ? NaN : correct / large,
    relativeCost: largeCost === 0 ? NaN : cost / largeCost,
    escalationRate: n ? escalated / n : NaN,
    skipRate: n ? skipped / n : NaN,
    accuracy: n ? correct / n : NaN,
    largeAccuracy: n ? large / n : NaN,
    costUsd: cost,
    largeOnlyCostUsd: largeCost,
  };
}
