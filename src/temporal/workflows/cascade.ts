/**
 * cascadeWorkflow: one LLM request, start to served answer (docs/architecture.md, "The steps of a request").
 *
 *   classify (local activity) -> the route: for each rung call the model (activity on the
 *   model's own queue, retried here with durable timers) -> check (local activity: schema,
 *   confidence) -> stand, or escalate to the next rung with a reason from the closed list.
 *
 * Deterministic: it decides only from its input (request + policy snapshot) and recorded
 * activity results. The trace it builds is the result and is served by the `trace` query.
 * The same workflow type runs shadow children (input.shadowOf set) on `cascade-shadow`.
 */
import {
  CancellationScope,
  isCancellation,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LocalActivities } from '../activities';
import type { CascadeInput } from '../../request/router/cascade-input';
import { outcomeDetails } from '../../request/router/outcome-details';
import type { Trace } from '../../request/router/trace';
import { runLatencyBudget } from './dispatch';
import { runLadder } from './ladder';
import { traceQuery } from './messages';
import { recordOutcome } from './record';
import { applyDecision, countLocalActivity, newRunContext, totalsNow, type RunContext } from './run-context';
import { SA } from './search-attributes';
import { listenForServed, recordShadowOutcome, signalServed, startShadow } from './shadow';

const local = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export async function cascadeWorkflow(input: CascadeInput): Promise<Trace> {
  const ctx = newRunContext(input, Date.now()); // workflow time: deterministic on replay
  const { request, policy, trace } = ctx;
  // A query must not change workflow state: it answers a copy with the totals so far.
  setHandler(traceQuery, () => ({ ...trace, totals: totalsNow(ctx) }));
  const served = input.shadowOf !== undefined ? listenForServed() : null;

  try {
    const child = await startShadow(ctx, 'cascadeWorkflow');

    // 1. Classify (no routing work at all on the static route).
    if (policy.route !== 'static') {
      const classifyInput = {
        task: request.task,
        messages: request.messages,
        // The calibration artefact's classifier (absent in older snapshots: rules-v1).
        ...(policy.classifier ? { classifier: policy.classifier } : {}),
      };
      // Lean on the rules baseline: the decision routes nothing, so it rides along with the
      // first model call's local activity. A classifier's decision can skip the first rung, so
      // it is made first, on its own.
      if (policy.execution === 'lean' && !policy.classifier) ctx.pendingClassify = classifyInput;
      else {
        countLocalActivity(ctx);
        applyDecision(ctx, await local.classify(classifyInput));
      }
    }

    // 2. The route.
    if (policy.route === 'latency-budget') await runLatencyBudget(ctx);
    else await runLadder(ctx);

    if (child) {
      trace.totals = totalsNow(ctx);
      await signalServed(ctx, child);
    }
    if (served) {
      await recordShadowOutcome(ctx, input.shadowOf!, served, policy.limits.deadlineMs);
    }
  } catch (err) {
    if (isCancellation(err)) {
      trace.status = 'cancelled';
      trace.error = 'cancelled by request';
      // Record what happened before the cancellation, even though the workflow is cancelled.
      await CancellationScope.nonCancellable(async () => {
        finish(ctx);
        await recordOutcome(ctx, input.shadowOf);
      });
    }
    throw err;
  }

  finish(ctx);
  // 4. The outcome to the ledger (when the snapshot asks: older histories replay without it).
  await recordOutcome(ctx, input.shadowOf);
  log.info('cascade finished', {
    requestId: request.id,
    workflowId: workflowInfo().workflowId,
    status: trace.status,
    finalModel: trace.final.model,
    escalations: trace.escalations.length,
  });
  return trace;
}

/** 3. Record: search attributes once, at the end; the totals with every action counted. */
function finish(ctx: RunContext): void {
  const { trace } = ctx;
  ctx.actions++;
  trace.totals = totalsNow(ctx);
  const lastReason = trace.escalations[trace.escalations.length - 1]?.reason ?? 'none';
  // The outcome on the workflow's page in the UI (metadata served by a query: no history event, no action).
  setCurrentDetails(outcomeDetails(trace, ctx.policy.rungs.length));
  upsertSearchAttributes([
    // Snapshots made since CascadeStatus exists carry `execution` (search-attributes.ts).
    ...(ctx.policy.execution !== undefined ? [{ key: SA.status, value: trace.status }] : []),
    { key: SA.escalated, value: trace.escalations.length > 0 },
    { key: SA.escalationReason, value: lastReason },
    { key: SA.finalModel, value: trace.final.model ?? 'none' },
    { key: SA.attempts, value: trace.totals.attempts },
    { key: SA.costUsd, value: trace.totals.costUsd },
  ]);
}
