/**
 * Recording a finished request, as a regular activity on the workflow's own task queue
 * (`cascade`, or `cascade-shadow` for shadow children; never a model queue). The workflow
 * schedules it once, at the end, with a retry policy and no attempt cap: while the ledger is
 * down it retries, and the request is recorded when it is back.
 *
 * Idempotent: the ledger writes the request row and its attempt rows in one transaction, or
 * nothing when the row is there already (the activity ran before but its completion was lost,
 * or a worker died after the commit). Metrics are counted only when the row was inserted, so a
 * retry never counts a request twice.
 *
 * Automatic retry linking happens here, at record time (docs/ledger.md): the ledger links the
 * request to the latest earlier one of the same caller and prompt hash within
 * `ledger.retryWindowMs` of the config in force.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { CascadeConfig } from '../../request/config/schema';
import { outcomeFromTrace, type RecordMeta } from '../../request/ledger/outcome';
import type { Ledger, RecordResult } from '../../request/ledger/types';
import { applyPricedAttempts, unpricedTimeouts, type PricedAttempt } from '../../request/router/lost-usage';
import type { Trace } from '../../request/router/trace';
import type { CascadeMetrics } from '../../watch/telemetry/metrics';

export interface RecordOutcomeDeps {
  ledger: Ledger;
  /** The config in force (its `ledger.retryWindowMs`). */
  config: () => CascadeConfig;
  metrics?: CascadeMetrics;
}

export interface RecordOutcomeResult extends RecordResult {
  /**
   * Timed-out attempts this write priced from the call journal (none was, when absent): the
   * workflow applies the same figures to its trace (src/request/router/lost-usage.ts).
   */
  priced?: PricedAttempt[];
}

/**
 * Errors no retry can fix: the row itself is refused (a PostgreSQL data exception or integrity
 * violation, SQLSTATE classes 22 and 23; SQLite constraint, type mismatch, too big). Anything
 * else (connection refused, timeouts, a locked database, a restarting server) is retried.
 */
export function isPermanentLedgerError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code)) return true;
  return /^(22|23)[0-9A-Z]{3}$/.test(code);
}

export function createRecordActivities(deps: RecordOutcomeDeps) {
  async function recordOutcome(trace: Trace, meta: RecordMeta): Promise<RecordOutcomeResult> {
    const priced = await priceFromJournal(trace, meta);
    applyPricedAttempts(trace, priced);
    const rec = outcomeFromTrace(trace, meta);
    let result: RecordResult;
    try {
      result = await deps.ledger.record(rec, { retryWindowMs: deps.config().ledger.retryWindowMs });
    } catch (err) {
      deps.metrics?.countLedgerWrite('error');
      const message = `ledger ${deps.ledger.location}: ${(err as Error).message}`;
      if (isPermanentLedgerError(err)) {
        throw ApplicationFailure.create({ type: 'LedgerRowRefused', message, nonRetryable: true });
      }
      log.warn('ledger write failed; the activity will retry', { requestId: rec.id, error: message });
      throw ApplicationFailure.create({ type: 'LedgerUnavailable', message });
    }
    deps.metrics?.countLedgerWrite(result.inserted ? 'inserted' : result.replaced ? 'replaced' : 'duplicate');
    if (result.inserted) deps.metrics?.observeOutcome(rec);
    else if (result.replacedFrom) deps.metrics?.observeReplacement(rec, result.replacedFrom);
    return priced.length > 0 ? { ...result, priced } : result;
  }

  /**
   * A request's last attempt that timed out in Temporal (its worker died) had no later attempt to
   * read the call journal for it: read it here, before the row is written. The journal is in the
   * ledger being written, so an outage fails (and retries) this activity as the write would.
   */
  async function priceFromJournal(trace: Trace, meta: RecordMeta): Promise<PricedAttempt[]> {
    const priced: PricedAttempt[] = [];
    for (const u of unpricedTimeouts(trace)) {
      const used = await deps.ledger.peekCall({
        workflowId: meta.workflowId,
        runId: meta.runId,
        activityId: u.activityId,
      });
      if (used) priced.push({ call: u.call, attempt: u.attempt, ...used });
    }
    return priced;
  }
  return { recordOutcome };
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;
