/**
 * Shadow mode (docs/architecture.md, "Operational control and shadow mode"): the baseline serves the request; the routed policy runs beside it as
 * a child workflow `<request-id>:shadow` on its own task queue, abandoned on parent close, and
 * the parent signals it the served answer so the child can record agreement, what routing would
 * have cost, and whether it would have escalated. The caller never waits on the shadow.
 */
import {
  condition,
  ParentClosePolicy,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { agreement } from '../../request/router/agreement';
import type { CascadeInput } from '../../request/router/cascade-input';
import type { ShadowChildRecord } from '../../request/router/trace';
import { servedAnswerSignal, type ServedAnswer } from './messages';
import { defaultSearchAttributes } from './search-attributes';
import { endWorkflowTask, type RunContext } from './run-context';

export function shadowWorkflowId(requestId: string): string {
  return `${requestId}:shadow`;
}

/** Starts the shadow child (the start is awaited, the child is not). */
export async function startShadow(
  ctx: RunContext,
  workflowType: string,
): Promise<ChildWorkflowHandle<never> | null> {
  const shadow = ctx.policy.shadow;
  if (!shadow) return null;
  const childInput: CascadeInput = { request: ctx.request, policy: shadow.policy, shadowOf: ctx.request.id };
  const workflowId = shadowWorkflowId(ctx.request.id);
  // The server bills a child start as two actions (command_StartChildWorkflowExecution and its _Extra).
  ctx.actions += 2;
  endWorkflowTask(ctx);
  const handle = await startChild(workflowType, {
    workflowId,
    taskQueue: shadow.taskQueue,
    args: [childInput],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    // CascadeStatus only for snapshots made since it exists (replay issues the old command).
    typedSearchAttributes: defaultSearchAttributes(
      shadow.policy.route,
      ctx.request.task,
      true,
      ctx.policy.execution !== undefined,
    ),
    staticSummary: `shadow of ${ctx.request.id}: ${ctx.request.task} via ${shadow.policy.route}`,
  });
  ctx.trace.shadow = { role: 'parent', childWorkflowId: workflowId };
  return handle as ChildWorkflowHandle<never>;
}

export async function signalServed(ctx: RunContext, child: ChildWorkflowHandle<never>): Promise<void> {
  const { final, totals } = ctx.trace;
  ctx.actions++;
  endWorkflowTask(ctx);
  await child.signal(servedAnswerSignal, {
    model: final.model,
    answer: final.answer,
    costUsd: totals.costUsd,
  });
}

/** In the child: listens for the served answer from the start, so an early signal is not lost. */
export function listenForServed(): () => ServedAnswer | undefined {
  let served: ServedAnswer | undefined;
  setHandler(servedAnswerSignal, (s) => {
    served = s;
  });
  return () => served;
}

/** In the child, after its own run: wait (bounded) for the served answer and compare. */
export async function recordShadowOutcome(
  ctx: RunContext,
  parentWorkflowId: string,
  served: () => ServedAnswer | undefined,
  waitMs: number,
): Promise<void> {
  endWorkflowTask(ctx);
  await condition(() => served() !== undefined, waitMs);
  const s = served() ?? null;
  const routedCost = ctx.trace.calls.reduce(
    (sum, c) => sum + c.attempts.reduce((t, a) => t + a.costUsd, 0),
    0,
  );
  const routedAnswer = ctx.trace.final.answer;
  const record: ShadowChildRecord = {
    role: 'child',
    parentWorkflowId,
    served: s,
    agreement:
      s && s.answer !== null && routedAnswer !== null
        ? agreement(routedAnswer, s.answer, ctx.policy.responseSchema !== null)
        : null,
    wouldHaveCostUsd: routedCost,
    wouldHaveSavedUsd: s ? s.costUsd - routedCost : null,
    wouldHaveEscalated: ctx.trace.escalations.length > 0,
  };
  ctx.trace.shadow = record;
}
