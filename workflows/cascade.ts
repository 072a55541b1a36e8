/**
 * cascadeWorkflow: one LLM request, start to served answer (DESIGN.md, "The request path").
 *
 *   classify (local activity) -> for each rung: call the model (activity on the model's own
 *   queue, retried here with durable timers) -> check (local activity: schema, confidence)
 *   -> stand, or escalate to the next rung with a reason from the closed list.
 *
 * Deterministic: it decides only from its input (request + policy snapshot) and recorded
 * activity results. The trace it builds is the result and is served by the `trace` query.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LocalActivities, ModelActivities, CallModelInput } from '../activities';
import type { ModelCallResult, ProviderErrorDetails, ChatMessage } from '../src/providers/types';
import { backoffMs } from '../src/router/backoff';
import type { CascadeInput } from '../src/router/cascade-input';
import type { RungSnapshot } from '../src/router/policy';
import { buildSelfCheckPrompt } from '../src/router/self-check';
import { computeTotals, emptyTotals } from '../src/router/totals';
import {
  TRACE_VERSION,
  type AttemptRecord,
  type CallPurpose,
  type CallRecord,
  type EscalationReason,
  type Trace,
} from '../src/router/trace';
import { traceQuery } from './messages';
import { SA } from './search-attributes';

const local = proxyLocalActivities<LocalActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

// Options per call are set with executeWithOptions (task queue, timeouts, summary).
const models = proxyActivities<ModelActivities>({ startToCloseTimeout: '1 minute' });

const HEARTBEAT_TIMEOUT_MS = 10_000;

type CallOutcome =
  { ok: true; result: ModelCallResult } | { ok: false; reason: EscalationReason; message: string };

export async function cascadeWorkflow(input: CascadeInput): Promise<Trace> {
  const { request, policy } = input;
  const startedAt = Date.now(); // workflow time: deterministic on replay
  const deadline = startedAt + policy.limits.deadlineMs;
  let actions = 1; // the workflow start

  const trace: Trace = {
    traceVersion: TRACE_VERSION,
    requestId: request.id,
    route: policy.route,
    taskType: request.task,
    status: 'running',
    policy: { configVersion: policy.configVersion, calibrationVersion: policy.calibrationVersion },
    decision: null,
    calls: [],
    checks: [],
    escalations: [],
    final: { model: null, rung: null, answer: null },
    totals: emptyTotals(),
  };
  const totalsNow = (): Trace['totals'] => ({
    ...computeTotals(trace.calls, policy.rungs, trace.final.rung),
    orchestrationActions: actions,
    orchestrationCostUsd: actions * policy.costPerAction,
  });
  // A query must not change workflow state: it answers a copy with the totals so far.
  setHandler(traceQuery, () => ({ ...trace, totals: totalsNow() }));

  // 1. Classify (no routing work at all on the static route).
  if (policy.route !== 'static') {
    trace.decision = await local.classify({ task: request.task, messages: request.messages });
    actions++;
    trace.taskType = trace.decision.taskType;
  }

  /** One call (answer or self-check) with workflow-driven retries: every attempt its own event. */
  async function callWithRetries(
    rungIndex: number,
    rung: RungSnapshot,
    purpose: CallPurpose,
    messages: ChatMessage[],
    wantLogprobs: boolean,
  ): Promise<CallOutcome> {
    const record: CallRecord = { rung: rungIndex, model: rung.model, purpose, attempts: [] };
    trace.calls.push(record);
    let previous: AttemptRecord | undefined;
    for (let attempt = 1; attempt <= policy.limits.maxAttemptsPerRung; attempt++) {
      if (
        trace.calls.reduce((s, c) => s + c.attempts.reduce((t, a) => t + a.costUsd, 0), 0) >=
        policy.limits.maxSpendUsd
      ) {
        return {
          ok: false,
          reason: 'spend_cap',
          message: `spend cap ${policy.limits.maxSpendUsd} USD reached`,
        };
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return { ok: false, reason: 'rung_failed', message: 'request deadline reached' };
      const callInput: CallModelInput = {
        requestId: request.id,
        rung: rungIndex,
        purpose,
        attempt,
        modelId: rung.model,
        messages,
        logprobs: wantLogprobs,
        topLogprobs: purpose === 'self_check' ? 5 : wantLogprobs ? 1 : undefined,
        responseSchema: purpose === 'answer' ? policy.responseSchema : null,
      };
      const summary =
        `${purpose} rung ${rungIndex + 1}/${policy.rungs.length} ${rung.model} attempt ${attempt}` +
        (previous ? ` (after ${previous.errorClass}${previous.status ? ` ${previous.status}` : ''})` : '');
      actions++;
      try {
        const result = await models.callModel.executeWithOptions(
          {
            taskQueue: rung.taskQueue,
            summary,
            startToCloseTimeout: rung.timeoutMs + 5_000,
            scheduleToCloseTimeout: remaining,
            heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
            retry: { maximumAttempts: 1 },
          },
          [callInput],
        );
        record.attempts.push({
          attempt,
          ok: true,
          errorClass: null,
          status: 200,
          latencyMs: result.latencyMs,
          tokensIn: result.usage.tokensIn,
          tokensOut: result.usage.tokensOut,
          costUsd: result.costUsd,
        });
        return { ok: true, result };
      } catch (err) {
        const details = failureDetails(err);
        previous = {
          attempt,
          ok: false,
          errorClass: details.errorClass,
          status: details.status,
          latencyMs: details.latencyMs,
          tokensIn: details.tokensIn,
          tokensOut: details.tokensOut,
          costUsd: details.costUsd,
          error: details.message,
        };
        record.attempts.push(previous);
        if (details.errorClass === 'config_error') {
          log.error('model endpoint refused our credentials (config_error): fix the key or permissions', {
            model: rung.model,
            status: details.status,
            message: details.message,
          });
          return { ok: false, reason: 'config_error', message: details.message };
        }
        if (!details.retryable) return { ok: false, reason: 'rung_failed', message: details.message };
        if (attempt === policy.limits.maxAttemptsPerRung) break;
        const wait = backoffMs(attempt, policy.limits, details.retryAfterMs);
        if (Date.now() + wait >= deadline) {
          return {
            ok: false,
            reason: 'rung_failed',
            message: 'no time left in the request deadline to retry',
          };
        }
        previous.backoffMs = wait;
        actions++;
        await sleep(wait, {
          summary: `backoff before attempt ${attempt + 1} of ${rung.model} (${details.errorClass})`,
        });
      }
    }
    return {
      ok: false,
      reason: 'rung_failed',
      message: `${rung.model} failed ${policy.limits.maxAttemptsPerRung} attempts (last: ${previous?.errorClass})`,
    };
  }

  const escalate = (from: number, reason: EscalationReason) => {
    trace.escalations.push({
      from: policy.rungs[from]!.model,
      to: policy.rungs[from + 1]?.model ?? null,
      reason,
    });
  };

  // 2. The ladder.
  let fallback: { rung: number; answer: string } | null = null; // an answer that failed a check
  let stoppedBy: string | null = null;
  for (let i = 0; i < policy.rungs.length; i++) {
    const rung = policy.rungs[i]!;
    const isLast = i === policy.rungs.length - 1;
    const checksConfidence = policy.route === 'cascade' && !isLast && rung.confidence !== null;
    const wantLogprobs = checksConfidence && rung.confidence !== 'self_check';

    const call = await callWithRetries(i, rung, 'answer', request.messages, wantLogprobs);
    if (!call.ok) {
      escalate(i, call.reason);
      if (call.reason === 'spend_cap') {
        stoppedBy = call.message;
        break;
      }
      continue;
    }
    const answer = call.result.answer;
    if (policy.route === 'static') {
      accept(i, answer);
      break;
    }

    // Self-check: a second call to the same model, its cost counted like any other.
    let selfCheckLogprobs = null;
    if (checksConfidence && rung.confidence === 'self_check') {
      const check = await callWithRetries(
        i,
        rung,
        'self_check',
        selfCheckMessages(request.messages, answer),
        true,
      );
      if (!check.ok) {
        escalate(i, check.reason === 'spend_cap' ? 'spend_cap' : 'rung_failed');
        if (check.reason === 'spend_cap') {
          fallback = { rung: i, answer };
          stoppedBy = check.message;
          break;
        }
        continue;
      }
      selfCheckLogprobs = check.result.logprobs;
    }

    const needsSchema = policy.responseSchema !== null;
    if (!needsSchema && !checksConfidence) {
      accept(i, answer);
      break;
    }
    actions++;
    const out = await local.checkAnswer({
      answer,
      responseSchema: policy.responseSchema,
      confidence: checksConfidence
        ? {
            source: rung.confidence!,
            calibration: rung.calibration,
            threshold: rung.threshold ?? 1,
            logprobs: call.result.logprobs,
            selfCheckLogprobs,
          }
        : null,
    });
    if (out.schema) {
      trace.checks.push({
        rung: i,
        model: rung.model,
        kind: 'schema',
        passed: out.schema.valid,
        errors: out.schema.errors,
      });
    }
    if (out.confidence) {
      trace.checks.push({
        rung: i,
        model: rung.model,
        kind: 'confidence',
        passed: out.confidence.passed,
        source: out.confidence.source,
        raw: out.confidence.raw,
        calibrated: out.confidence.calibrated,
        threshold: out.confidence.threshold,
        ...(out.confidence.detail ? { detail: out.confidence.detail } : {}),
      });
    }
    if (isLast) {
      // Nothing stronger to escalate to: the strongest rung's answer is served as is, its
      // schema result on the record.
      accept(i, answer);
      break;
    }
    if (out.schema && !out.schema.valid) {
      fallback = { rung: i, answer };
      escalate(i, 'schema_invalid');
      continue;
    }
    if (out.confidence && !out.confidence.passed) {
      fallback = { rung: i, answer };
      escalate(i, 'low_confidence');
      continue;
    }
    accept(i, answer);
    break;
  }

  function accept(rungIndex: number, answer: string) {
    trace.final = { model: policy.rungs[rungIndex]!.model, rung: rungIndex, answer };
    trace.status = 'answered';
  }

  if (trace.status !== 'answered') {
    if (stoppedBy && fallback) {
      // The spend cap stopped escalation: serve the best answer we have rather than none.
      accept(fallback.rung, fallback.answer);
    } else {
      trace.status = 'failed';
      trace.error = stoppedBy ?? 'every rung failed';
    }
  }

  // 3. Record: search attributes once, at the end.
  actions++;
  trace.totals = totalsNow();
  const lastReason = trace.escalations[trace.escalations.length - 1]?.reason ?? 'none';
  upsertSearchAttributes([
    { key: SA.escalated, value: trace.escalations.length > 0 },
    { key: SA.escalationReason, value: lastReason },
    { key: SA.finalModel, value: trace.final.model ?? 'none' },
    { key: SA.attempts, value: trace.totals.attempts },
    { key: SA.costUsd, value: trace.totals.costUsd },
  ]);
  log.info('cascade finished', {
    requestId: request.id,
    workflowId: workflowInfo().workflowId,
    status: trace.status,
    finalModel: trace.final.model,
    escalations: trace.escalations.length,
  });
  return trace;
}

function selfCheckMessages(messages: ChatMessage[], answer: string): ChatMessage[] {
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  return messages.map((m, i) =>
    i === lastUser ? { role: 'user', content: buildSelfCheckPrompt(m.content, answer) } : m,
  );
}

/** What failed, from the activity failure: the provider's details, or a Temporal timeout. */
function failureDetails(err: unknown): ProviderErrorDetails {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure && cause.details?.[0]) {
      return cause.details[0] as ProviderErrorDetails;
    }
    if (cause instanceof TimeoutFailure) {
      // A lost worker (heartbeat timeout) or no worker for the model's queue (schedule-to-close):
      // transient from the request's point of view.
      return blank('timeout', true, `model call timed out in Temporal (${cause.message})`);
    }
    if (cause instanceof ApplicationFailure) {
      return blank('server_error', true, `worker error: ${cause.message}`);
    }
  }
  throw err; // cancellation and anything unexpected end the workflow
}

function blank(
  errorClass: ProviderErrorDetails['errorClass'],
  retryable: boolean,
  message: string,
): ProviderErrorDetails {
  return {
    errorClass,
    retryable,
    status: null,
    retryAfterMs: null,
    latencyMs: 0,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    message,
  };
}
