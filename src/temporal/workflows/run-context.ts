/**
 * The state one cascade run carries through its steps: the input, the trace being built, the
 * deadline, and the count of Temporal actions (priced as router cost). Pure bookkeeping; the
 * steps that schedule work live in model-call.ts, ladder.ts, dispatch.ts and shadow.ts.
 */
import type { ClassifyInput } from '../activities';
import type { CascadeInput, CascadeRequestInput } from '../../request/router/cascade-input';
import type { PolicySnapshot } from '../../request/router/policy';
import { computeTotals, emptyTotals } from '../../request/router/totals';
import {
  TRACE_VERSION,
  type DecisionRecord,
  type EscalationReason,
  type Trace,
} from '../../request/router/trace';

export interface RunContext {
  request: CascadeRequestInput;
  policy: PolicySnapshot;
  trace: Trace;
  /** Workflow time (deterministic) by which the request must be done, retries included. */
  deadline: number;
  /** Temporal actions so far: the start, local activities, activity attempts, timers, signals, child starts, upserts. */
  actions: number;
  /** True for a shadow child: its answer calls are recorded with purpose `shadow`. */
  isShadow: boolean;
  /**
   * Whether the current workflow task has recorded a local-activity marker already. The server
   * bills one action per workflow-task completion that carries markers, however many
   * (docs/architecture.md, "What a request costs in Temporal actions"): local activities that
   * run back to back in one task cost one action together.
   */
  markersInTask: boolean;
  /**
   * Lean, rules baseline: the decision still to make, folded into the next model call's local
   * activity (src/temporal/activities/folded-steps.ts) instead of a local activity of its own.
   */
  pendingClassify?: ClassifyInput;
}

export function newRunContext(input: CascadeInput, now: number): RunContext {
  const { request, policy } = input;
  return {
    request,
    policy,
    deadline: now + policy.limits.deadlineMs,
    actions: 1, // the workflow start
    isShadow: input.shadowOf !== undefined,
    markersInTask: false,
    // The outcome first (status, who answered, escalations, totals), then how it was reached: what
    // `cascade trace` and the `trace` query show a reader before the decision's features.
    trace: {
      traceVersion: TRACE_VERSION,
      requestId: request.id,
      status: 'running',
      final: { model: null, rung: null, answer: null },
      escalations: [],
      totals: emptyTotals(),
      route: policy.route,
      taskType: request.task,
      policy: {
        configVersion: policy.configVersion,
        calibrationVersion: policy.calibrationVersion,
        ...(policy.servedAs ? { servedAs: policy.servedAs } : {}),
        // What a calibration artefact set per rung, as decided with (absent without one).
        ...(policy.calibrationVersion !== 'none' && policy.calibrationVersion !== undefined
          ? {
              rungs: policy.rungs.map((r) => ({
                model: r.model,
                calibration: r.calibration,
                threshold: r.threshold,
                skip: r.skip ?? null,
              })),
            }
          : {}),
      },
      decision: null,
      calls: [],
      checks: [],
    },
  };
}

/** The pre-route decision, made by its own local activity or folded into a model call's. */
export function applyDecision(ctx: RunContext, decision: DecisionRecord): void {
  ctx.trace.decision = decision;
  ctx.trace.taskType = decision.taskType;
  ctx.pendingClassify = undefined;
}

/** A local activity is about to run: the first one in a workflow task costs an action. */
export function countLocalActivity(ctx: RunContext): void {
  if (!ctx.markersInTask) ctx.actions++;
  ctx.markersInTask = true;
}

/**
 * The workflow is about to wait on the server (an activity, a timer, a child, a signal): the
 * current workflow task completes, with its markers, and the next local activity opens a new batch.
 */
export function endWorkflowTask(ctx: RunContext): void {
  ctx.markersInTask = false;
}

export function totalsNow(ctx: RunContext): Trace['totals'] {
  return {
    ...computeTotals(ctx.trace.calls, ctx.policy.rungs, ctx.trace.final.rung),
    orchestrationActions: ctx.actions,
    orchestrationCostUsd: ctx.actions * ctx.policy.costPerAction,
  };
}

export function spentUsd(ctx: RunContext): number {
  return ctx.trace.calls.reduce((s, c) => s + c.attempts.reduce((t, a) => t + a.costUsd, 0), 0);
}

export function escalate(ctx: RunContext, from: number, reason: EscalationReason): void {
  ctx.trace.escalations.push({
    from: ctx.policy.rungs[from]!.model,
    to: ctx.policy.rungs[from + 1]?.model ?? null,
    reason,
  });
}

export function accept(ctx: RunContext, rung: number, answer: string): void {
  ctx.trace.final = { model: ctx.policy.rungs[rung]!.model, rung, answer };
  ctx.trace.status = 'answered';
}
