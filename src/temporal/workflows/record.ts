/**
 * The last step of a cascade: the outcome to the ledger, through the record-outcome activity
 * (src/temporal/activities/record-outcome.ts) on the workflow's own task queue. Versioned by the input, not
 * by `patched()`: snapshots built since the ledger existed say `recordOutcome: true`, older
 * histories (test/replay/*.json) have no such field and replay without the step. A patch would
 * have cost every request a marker and a TemporalChangeVersion search-attribute upsert, two
 * more billable actions, for as long as the patch stays in the code.
 *
 * The activity retries with no attempt cap (a ledger outage delays the workflow's completion;
 * the answer is in the `trace` query meanwhile) unless the ledger refuses the row itself, which
 * no retry fixes: then the workflow logs it and completes.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { RecordActivities } from '../activities';
import type { RecordMeta } from '../../request/ledger/outcome';
import { applyPricedAttempts } from '../../request/router/lost-usage';
import type { Trace } from '../../request/router/trace';
import { countLocalActivity, endWorkflowTask, totalsNow, type RunContext } from './run-context';

const recorder = proxyActivities<RecordActivities>({ startToCloseTimeout: '30 seconds' });
// Lean execution: the write is a local activity in the same workflow task as the model calls,
// so its marker costs no action of its own and there is no activity round trip.
const localRecorder = proxyLocalActivities<RecordActivities>({ startToCloseTimeout: '30 seconds' });

export async function recordOutcome(ctx: RunContext, shadowOf: string | undefined): Promise<void> {
  if (!ctx.policy.recordOutcome) return;
  const lean = ctx.policy.execution === 'lean';
  // Router cost like any other: an activity is an action; a local activity shares the task's marker action.
  if (lean) countLocalActivity(ctx);
  else {
    ctx.actions++;
    endWorkflowTask(ctx);
  }
  ctx.trace.totals = totalsNow(ctx);
  const info = workflowInfo();
  const { request, policy } = ctx;
  const meta: RecordMeta = {
    workflowId: info.workflowId,
    runId: info.runId,
    startedAt: info.runStartTime.getTime(),
    finishedAt: Date.now(), // workflow time: the same on replay
    task: request.task,
    rungModels: policy.rungs.map((r) => r.model),
    retryOf: request.retryOf ?? null,
    metadata: request.metadata ?? null,
    promptHash: request.promptHash ?? null,
    // A client that sent no hash: the activity hashes the messages (and stores only the hash).
    ...(request.promptHash ? {} : { messages: request.messages }),
    shadowOf: shadowOf ?? null,
  };
  try {
    const options: ActivityOptions = {
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
      summary: `record ${info.workflowId} to the ledger`,
    };
    const args: [Trace, RecordMeta] = [forLedger(ctx.trace), meta];
    const result = lean
      ? await localRecorder.recordOutcome.executeWithOptions(options, args)
      : await recorder.recordOutcome.executeWithOptions(options, args);
    // A last attempt the write priced from the call journal: the trace says what the ledger does.
    // (Results recorded before `priced` existed have none: their traces replay unchanged.)
    if (result?.priced) applyPricedAttempts(ctx.trace, result.priced);
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
      log.error('the ledger refused this request: it is not recorded', { error: err.cause.message });
      return;
    }
    throw err;
  }
}

/** The trace without the answers' text: the ledger keeps none, so history need not carry it twice. */
function forLedger(trace: Trace): Trace {
  const shadow =
    trace.shadow?.role === 'child' && trace.shadow.served
      ? { ...trace.shadow, served: { ...trace.shadow.served, answer: null } }
      : trace.shadow;
  return {
    ...trace,
    final: { ...trace.final, answer: null },
    ...(shadow ? { shadow } : {}),
  };
}
