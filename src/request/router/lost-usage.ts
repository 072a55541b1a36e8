/**
 * Pricing attempts whose usage Temporal lost: a durable call that timed out in Temporal because
 * its worker died (a heartbeat timeout) may well have reached the provider, and the call journal
 * (src/request/ledger/call-journal.ts) knows what it used. The next attempt of the same call reads it
 * (src/temporal/workflows/model-call.ts, `priorActivityId`); when there is no next attempt (it was the last),
 * the ledger write reads it instead (src/temporal/activities/record-outcome.ts) and the workflow applies the
 * same figures to its trace. Pure, so both sides compute the same trace.
 */
import type { Trace } from './trace';

/** A timed-out attempt still at $0 that the journal may price, by its activity id. */
export interface UnpricedAttempt {
  call: number;
  attempt: number;
  activityId: string;
}

export interface PricedAttempt {
  call: number;
  attempt: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
  estimated: boolean;
}

export function unpricedTimeouts(trace: Trace): UnpricedAttempt[] {
  const out: UnpricedAttempt[] = [];
  trace.calls.forEach((c, call) =>
    c.attempts.forEach((a, attempt) => {
      if (
        a.errorClass === 'timeout' &&
        a.activityId !== undefined &&
        a.costUsd === 0 &&
        a.tokensIn === 0 &&
        a.tokensOut === 0
      ) {
        out.push({ call, attempt, activityId: a.activityId });
      }
    }),
  );
  return out;
}

/**
 * Puts the journal's figures on those attempts and moves the request's totals by the same
 * amounts: its cost, and its wasted cost when the call's rung did not serve (as computeTotals
 * counts them: src/request/router/totals.ts).
 */
export function applyPricedAttempts(trace: Trace, priced: readonly PricedAttempt[]): void {
  for (const p of priced) {
    const call = trace.calls[p.call];
    const a = call?.attempts[p.attempt];
    if (!call || !a) continue;
    const delta = p.costUsd - a.costUsd;
    a.tokensIn = p.tokensIn;
    a.tokensOut = p.tokensOut;
    a.costUsd = p.costUsd;
    a.latencyMs = p.latencyMs;
    if (p.estimated) a.estimated = true;
    trace.totals.costUsd += delta;
    if (call.rung !== trace.final.rung) trace.totals.wastedCostUsd += delta;
  }
}
