/**
 * The latency-budget route: read the candidates' live queue signals once (a local activity, so
 * they are in history and a replay decides the same), choose the cheapest candidate whose
 * expected wait plus service time fits the request's budget, or the fastest when none fits
 * (src/request/router/dispatch.ts), and call it. A failed candidate falls back to the next in the
 * decision's order with the call's reason (`rung_failed`, ...). When the budget moved the
 * request off the cheapest candidate, that is an escalation with reason `latency_budget`.
 * No confidence check on this route: the chosen model's answer is served.
 */
import { proxyLocalActivities } from '@temporalio/workflow';
import type { LocalActivities } from '../activities';
import type { ChatMessage } from '../../request/providers/types';
import {
  candidatesFromSnapshot,
  decideDispatch,
  dispatchRecord,
  type DispatchInput,
} from '../../request/router/dispatch';
import { callWithRetries } from './model-call';
import { accept, countLocalActivity, type RunContext } from './run-context';

const local = proxyLocalActivities<LocalActivities>({
  // Each signal read has its own 1 s timeout inside the activity; this bounds the whole read.
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export async function runLatencyBudget(ctx: RunContext): Promise<void> {
  const { policy, request, trace } = ctx;
  const budgetMs = policy.latencyBudgetMs ?? request.latencyBudgetMs ?? null;
  if (budgetMs === null) {
    // prepareCascade refuses such a request before it starts; a hand-built input ends here, cleanly.
    trace.status = 'failed';
    trace.error = 'the latency-budget route needs a budget (request latencyBudgetMs or task latencyBudgetMs)';
    return;
  }

  countLocalActivity(ctx);
  const snapshot = await local.endpointSnapshot({
    models: policy.rungs.map((r) => ({ model: r.model, taskQueue: r.taskQueue })),
  });
  const input: DispatchInput = {
    budgetMs,
    tokensIn: trace.decision?.features.approxTokens ?? approxTokens(request.messages),
    candidates: candidatesFromSnapshot(policy.rungs, snapshot),
  };
  const decision = decideDispatch(input);
  trace.dispatch = dispatchRecord(input, decision, snapshot);
  if (decision.chosen !== decision.cheapest) {
    trace.escalations.push({
      from: policy.rungs[decision.cheapest]!.model,
      to: policy.rungs[decision.chosen]!.model,
      reason: 'latency_budget',
    });
  }

  let stoppedBy: string | null = null;
  for (let k = 0; k < decision.order.length; k++) {
    const i = decision.order[k]!;
    const call = await callWithRetries(ctx, {
      rung: i,
      model: policy.rungs[i]!,
      purpose: ctx.isShadow ? 'shadow' : 'answer',
      messages: request.messages,
      logprobs: false,
      responseSchema: policy.responseSchema,
    });
    if (call.ok) {
      accept(ctx, i, call.result.answer);
      return;
    }
    const next = decision.order[k + 1];
    trace.escalations.push({
      from: policy.rungs[i]!.model,
      to: next === undefined ? null : policy.rungs[next]!.model,
      reason: call.reason,
    });
    if (call.reason === 'spend_cap') {
      stoppedBy = call.message;
      break;
    }
  }
  trace.status = 'failed';
  trace.error = stoppedBy ?? 'every candidate failed';
}

/** ~4 characters a token, as the classifier estimates (used when no classification ran). */
function approxTokens(messages: ChatMessage[]): number {
  return Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
}
