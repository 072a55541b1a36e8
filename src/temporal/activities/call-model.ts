/**
 * The model call. Durable execution: a regular activity on the model's own task queue
 * (`cascade-model-<modelId>`), heartbeating while the HTTP call runs, so a cancelled request
 * aborts its in-flight call and a dead worker is noticed within the heartbeat timeout rather
 * than the call's full timeout. Lean execution: the same function as a local activity of the
 * workflow's worker (no heartbeats: core cancels it directly, and the workflow task's own
 * timeout notices a dead worker). Either way one attempt per execution (`maximumAttempts: 1`):
 * the workflow drives retries so every attempt is its own event in history.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { CallJournal, CallKey, EarlierExecution } from '../../request/ledger/call-journal';
import type {
  CallerParams,
  ChatMessage,
  ModelCallResult,
  ModelProvider,
  ProviderErrorDetails,
  ResponseFormat,
  ToolSpec,
} from '../../request/providers/types';
import { ProviderError } from '../../request/providers/types';
import { liveChannels, type LiveChannels, type LiveSink } from './live-channel';
import type { Pricing } from '../../request/providers/cost';
import type { CallPurpose, DecisionRecord } from '../../request/router/trace';
import type { CheckOutput } from './check';
import { type ClassifyInput, decide } from '../../request/router/decide';
import { approxTokensIn, estimatedInputCostUsd } from '../../request/router/usage-estimate';
import { runFoldedCheck, toolReplyCheck, type FoldedCheck } from './folded-steps';

export interface CallModelInput {
  requestId: string;
  rung: number;
  purpose: CallPurpose;
  attempt: number;
  modelId: string;
  messages: ChatMessage[];
  logprobs: boolean;
  topLogprobs?: number;
  responseSchema?: Record<string, unknown> | null;
  maxTokens?: number;
  temperature?: number;
  /** The caller's chat-completions parameters (answer calls of requests that set them). */
  params?: CallerParams;
  /** The tools offered (answer calls): sent with the call, and the reply's calls checked against them. */
  tools?: ToolSpec;
  /** Lean: decide (rules baseline) before calling, in this local activity (src/temporal/activities/folded-steps.ts). */
  classify?: ClassifyInput;
  /** Lean: check the answer once this call returns, in this local activity. */
  check?: FoldedCheck;
  /**
   * The activity id of this call's previous attempt, which timed out in Temporal (its worker was
   * lost): this execution reads what that one used from the call journal (`priorLost`).
   */
  priorActivityId?: string;
}

/**
 * A call's result, and the earlier executions of the same call that Temporal did not record (a
 * lean call re-run after its worker died): the workflow puts each on the record as a `lost`
 * attempt. One earlier execution is `earlier` (the shape recorded histories hold); more than one
 * (the call was lost twice) are `earlierExecutions`, oldest first, and `earlier` is absent.
 */
export type CallModelResult = ModelCallResult & {
  earlier?: EarlierExecution;
  earlierExecutions?: EarlierExecution[];
  /** What the attempt named by `priorActivityId` used, from the journal. */
  priorLost?: EarlierExecution;
  /** The folded decision and check (lean), when the input asked for them. */
  decision?: DecisionRecord;
  checked?: CheckOutput;
};
export type CallModelFailureDetails = ProviderErrorDetails & {
  earlier?: EarlierExecution;
  earlierExecutions?: EarlierExecution[];
  priorLost?: EarlierExecution;
  decision?: DecisionRecord;
};

export interface ModelActivityDeps {
  /** The worker's client for a model id (keys resolved from the worker's environment). */
  provider: (modelId: string) => ModelProvider;
  /** How often to heartbeat during a call. */
  heartbeatEveryMs?: number;
  /**
   * Where lean (local-activity) calls journal their executions (the worker's ledger), so a call
   * re-run after a crash reports the lost one (src/request/ledger/call-journal.ts). None: not journalled.
   */
  journal?: CallJournal;
  /** A model's prices, to estimate what a call lost in flight was billed. */
  pricing?: (modelId: string) => Pricing | undefined;
  /**
   * Where a gateway of this process waits for the answers it may stream live (issue #17); the
   * process's own channel by default (src/temporal/activities/live-channel.ts).
   */
  live?: LiveChannels;
}

/** Input tokens counted locally: ~4 characters a token, as the classifier's features count them. */
export function createModelActivities(deps: ModelActivityDeps) {
  const every = deps.heartbeatEveryMs ?? 2_000;

  async function callModel(input: CallModelInput): Promise<CallModelResult> {
    const ctx = Context.current();
    const responseFormat: ResponseFormat | undefined = input.responseSchema
      ? { type: 'json_schema', name: 'answer', schema: input.responseSchema }
      : undefined;
    const run = ctx.info.workflowExecution;
    // Lean calls (local activities) and durable ones alike: a lean call re-run after a crash
    // finds its earlier execution under its own key; a durable attempt that timed out is read
    // by the next attempt (priorActivityId).
    const key: CallKey | null =
      deps.journal && run
        ? { workflowId: run.workflowId, runId: run.runId, activityId: ctx.info.activityId }
        : null;
    const earlier = key ? earlierFields(await journalBegin(key, input)) : {};
    const priorLost =
      key && input.priorActivityId !== undefined
        ? await journalPeek({ ...key, activityId: input.priorActivityId })
        : null;
    const decision = input.classify ? decide(input.classify) : undefined;
    // No heartbeat at the start: each one that reaches the server is a billable action on
    // Temporal Cloud, and most calls finish before the first interval. (A local activity has
    // no heartbeats: core cancels it directly.)
    const timer = ctx.info.isLocal
      ? undefined
      : setInterval(() => ctx.heartbeat({ inCall: input.attempt }), every);
    const sink = run ? liveSink(run.workflowId, input) : null;
    try {
      const result = await deps.provider(input.modelId).call({
        messages: input.messages,
        logprobs: input.logprobs,
        topLogprobs: input.topLogprobs,
        responseFormat,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        ...(input.params ? { params: input.params } : {}),
        ...(input.tools ? { tools: input.tools } : {}),
        ...(sink ? { onDelta: sink.delta } : {}),
        signal: ctx.cancellationSignal,
      });
      sink?.done();
      if (key)
        await journalEnd(key, { ...result.usage, costUsd: result.costUsd, latencyMs: result.latencyMs });
      const checked =
        toolReplyCheck(input.tools, result) ??
        (input.check ? await runFoldedCheck(input.check, result) : undefined);
      return {
        ...result,
        ...earlier,
        ...(priorLost ? { priorLost } : {}),
        ...(decision ? { decision } : {}),
        ...(checked ? { checked } : {}),
      };
    } catch (err) {
      // What broke, by class only: the provider's message names endpoints, not for the caller.
      sink?.failed(
        ctx.cancellationSignal.aborted
          ? 'cancelled'
          : err instanceof ProviderError
            ? err.details.errorClass
            : 'worker error',
      );
      // Cancelled (the request was cancelled, or the workflow no longer wants this attempt):
      // report the cancellation itself, not the HTTP client's abort error.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      if (err instanceof ProviderError) {
        const d = err.details;
        if (key) await journalEnd(key, { ...d, latencyMs: d.latencyMs });
        const details: CallModelFailureDetails = {
          ...d,
          ...earlier,
          ...(priorLost ? { priorLost } : {}),
          ...(decision ? { decision } : {}),
        };
        // Non-retryable at the Temporal level: the workflow reads the details and decides.
        throw ApplicationFailure.create({
          type: d.errorClass,
          message: d.message,
          nonRetryable: true,
          details: [details],
        });
      }
      throw err;
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /**
   * A live stream for this call, when a gateway of this process waits for this workflow's answer
   * and the call's answer is served as it is (src/request/router/live-stream.ts, decided by the channel
   * from the policy snapshot the workflow was started with). The input is checked too: an answer
   * call with nothing the workflow checks after it (no folded check, schema, tools, or caller
   * logprobs). Anything else is called whole, exactly as without a gateway here.
   */
  function liveSink(workflowId: string, input: CallModelInput): LiveSink | null {
    if (input.purpose !== 'answer' || input.check || input.responseSchema || input.tools) return null;
    if (input.params?.logprobs) return null;
    return (deps.live ?? liveChannels).open(
      workflowId,
      { rung: input.rung, model: input.modelId, attempt: input.attempt },
      {
        messages: input.messages,
        ...(input.maxTokens !== undefined ? { maxTokens: input.maxTokens } : {}),
        ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
        ...(input.params ? { params: input.params } : {}),
      },
    );
  }

  /** The journal must not stop a call: a ledger outage costs the record of a crash, not the request. */
  async function journalBegin(key: CallKey, input: CallModelInput): Promise<EarlierExecution[]> {
    const tokensIn = approxTokensIn(input.messages);
    try {
      return await deps.journal!.begin(key, {
        model: input.modelId,
        purpose: input.purpose,
        attempt: input.attempt,
        estimatedTokensIn: tokensIn,
        estimatedCostUsd: estimatedInputCostUsd(tokensIn, deps.pricing?.(input.modelId)),
      });
    } catch (err) {
      log.warn('call journal unavailable: a crash during this call would go unrecorded', {
        error: (err as Error).message,
      });
      return [];
    }
  }

  async function journalPeek(key: CallKey): Promise<EarlierExecution | null> {
    try {
      return await deps.journal!.peek(key);
    } catch (err) {
      log.warn('call journal unavailable', { error: (err as Error).message });
      return null;
    }
  }

  async function journalEnd(
    key: CallKey,
    usage: { tokensIn: number; tokensOut: number; costUsd: number; latencyMs: number },
  ): Promise<void> {
    try {
      await deps.journal!.end(key, usage);
    } catch (err) {
      log.warn('call journal unavailable', { error: (err as Error).message });
    }
  }

  return { callModel };
}

export type ModelActivities = ReturnType<typeof createModelActivities>;

/** The earlier executions as the result carries them (CallModelResult). */
function earlierFields(
  executions: EarlierExecution[],
): Pick<CallModelResult, 'earlier' | 'earlierExecutions'> {
  if (executions.length === 0) return {};
  return executions.length === 1 ? { earlier: executions[0]! } : { earlierExecutions: executions };
}
