/**
 * The economics of one request, from its calls (pure: the workflow computes them at the end,
 * and tests and the ledger can recompute them from any trace).
 */
import type { RungSnapshot } from './policy';
import type { CallRecord, Trace } from './trace';

const perMillion = 1_000_000;

export function callCost(call: CallRecord): number {
  return call.attempts.reduce((s, a) => s + a.costUsd, 0);
}

export interface Totals {
  costUsd: number;
  baselineCostUsd: number;
  baselineEstimated: boolean;
  wastedCostUsd: number;
  attempts: number;
}

/**
 * - cost: everything billed, failed attempts and self-checks included;
 * - baseline: the strongest (last) rung answering alone. Its real cost when it answered; else
 *   estimated from the prompt tokens the endpoint reported and the served answer's length,
 *   priced at the strongest rung's prices (flagged as an estimate);
 * - wasted: what rungs other than the serving one cost (the double cost of a fallback);
 *   everything, when nothing was served.
 */
export function computeTotals(calls: CallRecord[], rungs: RungSnapshot[], finalRung: number | null): Totals {
  const costUsd = sum(calls.map(callCost));
  const attempts = sum(calls.map((c) => c.attempts.length));
  const wastedCostUsd = sum(calls.filter((c) => c.rung !== finalRung).map(callCost));

  const lastRung = rungs.length - 1;
  const strongest = rungs[lastRung]!;
  const ok = (c: CallRecord) => c.purpose === 'answer' && c.attempts.some((a) => a.ok);
  const strongestAnswer = calls.find((c) => c.rung === lastRung && ok(c));
  let baselineCostUsd = 0;
  let baselineEstimated = true;
  if (strongestAnswer) {
    baselineCostUsd = strongestAnswer.attempts.find((a) => a.ok)!.costUsd;
    baselineEstimated = false;
  } else {
    const served = calls.find((c) => c.rung === finalRung && ok(c)) ?? calls.find(ok);
    const attempt = served?.attempts.find((a) => a.ok);
    if (attempt) {
      baselineCostUsd =
        (attempt.tokensIn * strongest.pricing.inputPerMTok +
          attempt.tokensOut * strongest.pricing.outputPerMTok) /
        perMillion;
    }
  }
  return { costUsd, baselineCostUsd, baselineEstimated, wastedCostUsd, attempts };
}

function sum(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

/** A trace with no calls yet: what the `trace` query answers before the first call returns. */
export function emptyTotals(): Trace['totals'] {
  return {
    costUsd: 0,
    baselineCostUsd: 0,
    baselineEstimated: true,
    wastedCostUsd: 0,
    attempts: 0,
    orchestrationActions: 0,
    orchestrationCostUsd: 0,
  };
}
