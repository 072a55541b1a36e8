/**
 * The rung decision, pure: whether a rung is skipped before it is called (the pre-route
 * classifier), whether its calibrated confidence clears its threshold, and whether its answer
 * stands or the request escalates. ONE implementation, used by the workflow (src/temporal/workflows/ladder.ts),
 * the check activity (src/temporal/activities/check.ts) and the offline simulator that chooses thresholds and
 * replays recorded outcomes (src/tools/calibrate/simulate.ts), so what was tuned offline is
 * what runs.
 */

/**
 * When the pre-route classifier skips a rung (straight to the next, stronger one):
 * - `always`: the calibration found the rung never pays for itself at the target;
 * - `below`: the classifier's predicted P(this rung's answer is good enough) is below `predicted`.
 * Never the last rung.
 */
export type RungSkip = { kind: 'always' } | { kind: 'below'; predicted: number };

/**
 * Whether rung `rung` of `rungCount` is skipped. Without a prediction (no classifier, or the
 * worker could not load it: the rules-v1 cold start) a `below` rule never skips.
 */
export function shouldSkipRung(
  skip: RungSkip | null | undefined,
  predicted: number | null | undefined,
  rung: number,
  rungCount: number,
): boolean {
  if (!skip || rung >= rungCount - 1) return false;
  if (skip.kind === 'always') return true;
  return (
    predicted !== null && predicted !== undefined && Number.isFinite(predicted) && predicted < skip.predicted
  );
}

/** A rung's answer stands on confidence when its calibrated P(correct) reaches the threshold. No signal, no standing. */
export function confidenceStands(calibrated: number | null, threshold: number): boolean {
  return calibrated !== null && Number.isFinite(calibrated) && calibrated >= threshold;
}

export type RungOutcome =
  { action: 'stand' } | { action: 'escalate'; reason: 'schema_invalid' | 'low_confidence' };

/**
 * After a rung answered and its checks ran: the strongest rung's answer is served as it is;
 * otherwise an invalid schema escalates first, then a confidence below the threshold; an answer
 * with no failed check stands. `null` = the check did not run.
 */
export function decideRung(input: {
  isLast: boolean;
  schemaValid: boolean | null;
  confidencePassed: boolean | null;
}): RungOutcome {
  if (input.isLast) return { action: 'stand' };
  if (input.schemaValid === false) return { action: 'escalate', reason: 'schema_invalid' };
  if (input.confidencePassed === false) return { action: 'escalate', reason: 'low_confidence' };
  return { action: 'stand' };
}
