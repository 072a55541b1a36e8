/**
 * One model call (an answer, a self-check or a judge call) with retries driven by the workflow,
 * so every attempt is its own activity event with its own summary: transient failures back off
 * on durable timers and honour Retry-After, capped by the policy's attempts, spend and deadline.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type {
  CallModelFailureDetails,
  CallModelInput,
  CallModelResult,
  FoldedCheck,
  ModelActivities,
} from '../activities';
import type { ChatMessage, ModelCallResult } from '../../request/providers/types';
import type { CascadeRequestInput } from '../../request/router/cascade-input';
import { backoffMs } from '../../request/router/backoff';
import { approxTokensIn, estimatedInputCostUsd } from '../../request/router/usage-estimate';
import { noCallFailure } from '../../request/providers/no-call-failure';
import type { ModelSnapshot } from '../../request/router/policy';
import type {
  AttemptRecord,
  CallPurpose,
  CallRecord,
  EscalationReason,
  ServedReply,
} from '../../request/router/trace';
import { applyDecision, countLocalActivity, endWorkflowTask, spentUsd, type RunContext } from './run-context';

// Options per call are set with executeWithOptions (task queue, timeouts, summary).
const models = proxyActivities<ModelActivities>({ startToCloseTimeout: '1 minute' });
// Lean execution: the same activity as a local activity of the workflow's own worker, run inside
// the workflow task (docs/architecture.md, "Lean and durable execution").
const localModels = proxyLocalActivities<ModelActivities>({ startToCloseTimeout: '1 minute' });

const HEARTBEAT_TIMEOUT_MS = 10_000;

export type CallOutcome =
  { ok: true; result: CallModelResult } | { ok: false; reason: EscalationReason; message: string };

export interface CallSpec {
  rung: number;
  model: ModelSnapshot;
  purpose: CallPurpose;
  messages: ChatMessage[];
  logprobs: boolean;
  topLogprobs?: number;
  responseSchema?: Record<string, unknown> | null;
  /** Lean: the check to run in the call's own local activity once it returns (ladder.ts). */
  check?: FoldedCheck;
}

export async function callWithRetries(ctx: RunContext, spec: CallSpec): Promise<CallOutcome> {
  const { policy, request } = ctx;
  const record: CallRecord = {
    rung: spec.rung,
    model: spec.model.model,
    purpose: spec.purpose,
    attempts: [],
  };
  ctx.trace.calls.push(record);
  const maxAttempts = policy.limits.maxAttemptsPerRung;
  const answers = spec.purpose === 'answer' || spec.purpose === 'shadow';
  let previous: AttemptRecord | undefined;
  // A durable attempt whose activity timed out in Temporal (its worker lost): the next attempt
  // reads from the call journal what it used, which replaces the timeout's $0 (new snapshots only).
  let timedOut: { activityId: string; attempt: AttemptRecord } | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (spentUsd(ctx) >= policy.limits.maxSpendUsd) {
      return {
        ok: false,
        reason: 'spend_cap',
        message: `spend cap ${policy.limits.maxSpendUsd} USD reached`,
      };
    }
    const remaining = ctx.deadline - Date.now();
    if (remaining <= 0) return { ok: false, reason: 'rung_failed', message: 'request deadline reached' };
    const input: CallModelInput = {
      requestId: request.id,
      rung: spec.rung,
      purpose: spec.purpose,
      attempt,
      modelId: spec.model.model,
      messages: spec.messages,
      logprobs: spec.logprobs,
      topLogprobs: spec.topLogprobs,
      responseSchema: spec.responseSchema ?? null,
      // The caller's parameters (max_tokens, temperature, stop, seed, ..., tools) apply to
      // answers, not to self-checks or judges, whose replies the router reads. Activity inputs
      // are not compared on replay, and older inputs have none of these, so they replay unchanged.
      ...(answers
        ? {
            ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.params ? { params: request.params } : {}),
            ...(request.tools ? { tools: request.tools } : {}),
          }
        : {}),
      // Lean only (durable snapshots never set these): steps folded into this local activity.
      ...(ctx.pendingClassify ? { classify: ctx.pendingClassify } : {}),
      ...(spec.check ? { check: spec.check } : {}),
      ...(timedOut ? { priorActivityId: timedOut.activityId } : {}),
    };
    const summary =
      `${spec.purpose} rung ${spec.rung + 1}/${policy.rungs.length} ${spec.model.model} attempt ${attempt}` +
      (previous ? ` (after ${previous.errorClass}${previous.status ? ` ${previous.status}` : ''})` : '');
    const calledAt = Date.now(); // workflow time: the same on replay
    try {
      const result = await executeCall(ctx, spec.model, input, summary, remaining);
      if (result.decision) applyDecision(ctx, result.decision);
      if (result.priorLost && timedOut) priceTimedOut(timedOut.attempt, result.priorLost);
      for (const e of lostExecutions(result)) recordLost(record, e);
      record.attempts.push({
        attempt: record.attempts.length + 1,
        ok: true,
        errorClass: null,
        status: 200,
        latencyMs: result.latencyMs,
        tokensIn: result.usage.tokensIn,
        tokensOut: result.usage.tokensOut,
        costUsd: result.costUsd,
        ...(result.endpoint !== undefined ? { endpoint: result.endpoint } : {}),
        ...(answers ? servedReply(request, result) : {}),
      });
      return { ok: true, result };
    } catch (err) {
      // A cancelled request aborts its call in flight, which the provider received and may bill:
      // on the record, priced by estimate (snapshots since `execution` exists; older histories
      // replay with the traces they recorded). The cancellation then ends the workflow.
      if (isCancellation(err) && policy.execution !== undefined) {
        recordCancelled(record, spec, Date.now() - calledAt);
      }
      const details = failureDetails(err);
      if (details.decision) applyDecision(ctx, details.decision);
      if (details.priorLost && timedOut) priceTimedOut(timedOut.attempt, details.priorLost);
      for (const e of lostExecutions(details)) recordLost(record, e);
      previous = {
        attempt: record.attempts.length + 1,
        ok: false,
        errorClass: details.errorClass,
        status: details.status,
        latencyMs: details.latencyMs,
        tokensIn: details.tokensIn,
        tokensOut: details.tokensOut,
        costUsd: details.costUsd,
        error: details.message,
        ...(details.endpoint !== undefined ? { endpoint: details.endpoint } : {}),
      };
      record.attempts.push(previous);
      timedOut =
        policy.execution !== undefined &&
        err instanceof ActivityFailure &&
        err.cause instanceof TimeoutFailure &&
        err.activityId !== undefined
          ? { activityId: err.activityId, attempt: previous }
          : null;
      // Its journal key, for the ledger write to price it if no later attempt does.
      if (timedOut) previous.activityId = timedOut.activityId;
      if (details.errorClass === 'config_error') {
        log.error('model endpoint refused our credentials (config_error): fix the key or permissions', {
          model: spec.model.model,
          status: details.status,
          message: details.message,
        });
        return { ok: false, reason: 'config_error', message: details.message };
      }
      if (details.errorClass === 'endpoint_unavailable') {
        return { ok: false, reason: 'endpoint_unavailable', message: details.message };
      }
      if (!details.retryable) return { ok: false, reason: 'rung_failed', message: details.message };
      if (attempt === maxAttempts) break;
      // Jitter (deterministic: the workflow's Math.random) for snapshots made since it exists;
      // older histories replay with the waits they recorded.
      const jitter = policy.execution !== undefined ? Math.random() : 0;
      const wait = backoffMs(attempt, policy.limits, details.retryAfterMs, jitter);
      if (Date.now() + wait >= ctx.deadline) {
        return { ok: false, reason: 'rung_failed', message: 'no time left in the request deadline to retry' };
      }
      previous.backoffMs = wait;
      ctx.actions++; // the timer
      endWorkflowTask(ctx);
      await sleep(wait, {
        summary: `backoff before attempt ${attempt + 1} of ${spec.model.model} (${details.errorClass})`,
      });
    }
  }
  return {
    ok: false,
    reason: 'rung_failed',
    message: `${spec.model.model} failed ${maxAttempts} attempts (last: ${previous?.errorClass})`,
  };
}

/** Finish reasons the caller is told about (OpenAI's, and Anthropic's for a cut answer). */
const TOLD_FINISH = new Set(['length', 'max_tokens', 'content_filter']);

/**
 * What the caller gets besides the text, when there is any (a plain answer adds nothing, so
 * traces of requests without tools, logprobs or a cut answer keep their shape): the tool calls,
 * a finish reason that says the answer was cut, and the logprobs the caller asked for, cut to its
 * own `top_logprobs` (the cascade may have asked the endpoint for more alternatives for its
 * confidence). Read from the recorded activity result, so a replay rebuilds the same record.
 */
function servedReply(request: CascadeRequestInput, result: ModelCallResult): { reply?: ServedReply } {
  const top = request.params?.topLogprobs ?? 0;
  const reply: ServedReply = {
    ...(result.toolCalls && result.toolCalls.length > 0 ? { toolCalls: result.toolCalls } : {}),
    ...(result.finishReason !== null && TOLD_FINISH.has(result.finishReason)
      ? { finishReason: result.finishReason }
      : {}),
    ...(request.params?.logprobs && result.logprobs
      ? { logprobs: result.logprobs.map((t) => ({ ...t, top: t.top.slice(0, top) })) }
      : {}),
  };
  return Object.keys(reply).length > 0 ? { reply } : {};
}

/** Every earlier execution a result reports (one is `earlier`, as older histories hold it). */
function lostExecutions(
  r: Pick<CallModelResult, 'earlier' | 'earlierExecutions'>,
): NonNullable<CallModelResult['earlier']>[] {
  return r.earlierExecutions ?? (r.earlier ? [r.earlier] : []);
}

/**
 * A lean call that ran before on a worker that died before its workflow task completed: its
 * outcome never reached history, but the provider was called (and bills). It goes on the record
 * as an attempt of its own, `lost`, with the journal's usage: exact when the call had returned,
 * estimated (input tokens only) when it was cut off in flight.
 */
function recordLost(record: CallRecord, earlier: NonNullable<CallModelResult['earlier']>): void {
  record.attempts.push({
    attempt: record.attempts.length + 1,
    ok: false,
    errorClass: 'lost',
    status: null,
    latencyMs: earlier.latencyMs,
    tokensIn: earlier.tokensIn,
    tokensOut: earlier.tokensOut,
    costUsd: earlier.costUsd,
    ...(earlier.estimated ? { estimated: true } : {}),
    error: earlier.estimated
      ? 'the worker running this call died before it returned; cost estimated from the input tokens'
      : 'the call returned, but the worker died before the workflow recorded it',
  });
}

/**
 * The call a cancellation aborted: input tokens counted locally at the model's input price,
 * output unknown (0), as the call journal prices a call lost in flight.
 */
function recordCancelled(record: CallRecord, spec: CallSpec, latencyMs: number): void {
  const tokensIn = approxTokensIn(spec.messages);
  record.attempts.push({
    attempt: record.attempts.length + 1,
    ok: false,
    errorClass: 'cancelled',
    status: null,
    latencyMs,
    tokensIn,
    tokensOut: 0,
    costUsd: estimatedInputCostUsd(tokensIn, spec.model.pricing),
    estimated: true,
    error: 'the request was cancelled while this call was in flight; cost estimated from the input tokens',
  });
}

/**
 * A durable attempt that timed out because its worker was lost (heartbeat timeout) may have been
 * paid for: the call journal says what it used (exact if it returned, else its input tokens),
 * and the attempt keeps its `timeout` class with that cost, marked estimated when it is one.
 */
function priceTimedOut(attempt: AttemptRecord, used: NonNullable<CallModelResult['priorLost']>): void {
  attempt.tokensIn = used.tokensIn;
  attempt.tokensOut = used.tokensOut;
  attempt.costUsd = used.costUsd;
  attempt.latencyMs = used.latencyMs;
  if (used.estimated) attempt.estimated = true;
}

/**
 * One attempt: lean, a local activity (its marker shares the workflow task's one billed marker
 * action); durable, an activity on the model's own queue (one action, and the task ends).
 */
function executeCall(
  ctx: RunContext,
  model: ModelSnapshot,
  input: CallModelInput,
  summary: string,
  remaining: number,
): Promise<CallModelResult> {
  if (ctx.policy.execution === 'lean') {
    countLocalActivity(ctx);
    return localModels.callModel.executeWithOptions(
      {
        summary,
        startToCloseTimeout: model.timeoutMs + 5_000,
        scheduleToCloseTimeout: remaining,
        retry: { maximumAttempts: 1 },
      },
      [input],
    );
  }
  ctx.actions++;
  endWorkflowTask(ctx);
  return models.callModel.executeWithOptions(
    {
      taskQueue: model.taskQueue,
      summary,
      startToCloseTimeout: model.timeoutMs + 5_000,
      scheduleToCloseTimeout: remaining,
      heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
      retry: { maximumAttempts: 1 },
    },
    [input],
  );
}

/**
 * What failed, from the activity failure: the provider's details, or a Temporal timeout. An
 * activity's failure arrives wrapped in an ActivityFailure; a local activity's as its cause alone.
 */
function failureDetails(err: unknown): CallModelFailureDetails & { endpoint?: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (
    err instanceof ActivityFailure ||
    cause instanceof ApplicationFailure ||
    cause instanceof TimeoutFailure
  ) {
    if (cause instanceof ApplicationFailure && cause.details?.[0]) {
      return cause.details[0] as CallModelFailureDetails & { endpoint?: number };
    }
    if (cause instanceof TimeoutFailure) {
      // A lost worker (heartbeat timeout) or no worker for the model's queue (schedule-to-close):
      // transient from the request's point of view.
      return noCallFailure('timeout', true, `model call timed out in Temporal (${cause.message})`);
    }
    if (cause instanceof ApplicationFailure) {
      return noCallFailure('server_error', true, `worker error: ${cause.message}`);
    }
  }
  throw err; // cancellation and anything unexpected end the workflow
}
