/**
 * The model call, as a regular activity on the model's own task queue
 * (`cascade-model-<modelId>`). One attempt per activity execution (`maximumAttempts: 1`):
 * the workflow drives retries so every attempt is its own event in history. It heartbeats
 * while the HTTP call runs, so a cancelled request aborts its in-flight call and a dead worker
 * is noticed within the heartbeat timeout rather than the call's full timeout.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ChatMessage, ModelCallResult, ModelProvider, ResponseFormat } from '../src/providers/types';
import { ProviderError } from '../src/providers/types';
import type { CallPurpose } from '../src/router/trace';

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
}

export interface ModelActivityDeps {
  /** The worker's client for a model id (keys resolved from the worker's environment). */
  provider: (modelId: string) => ModelProvider;
  /** How often to heartbeat during a call. */
  heartbeatEveryMs?: number;
}

export function createModelActivities(deps: ModelActivityDeps) {
  const every = deps.heartbeatEveryMs ?? 2_000;

  async function callModel(input: CallModelInput): Promise<ModelCallResult> {
    const ctx = Context.current();
    const responseFormat: ResponseFormat | undefined = input.responseSchema
      ? { type: 'json_schema', name: 'answer', schema: input.responseSchema }
      : undefined;
    // No heartbeat at the start: each one that reaches the server is a billable action on
    // Temporal Cloud, and most calls finish before the first interval.
    const timer = setInterval(() => ctx.heartbeat({ inCall: input.attempt }), every);
    try {
      return await deps.provider(input.modelId).call({
        messages: input.messages,
        logprobs: input.logprobs,
        topLogprobs: input.topLogprobs,
        responseFormat,
        maxTokens: input.maxTokens,
        temperature: input.temperature,
        signal: ctx.cancellationSignal,
      });
    } catch (err) {
      // Cancelled (the request was cancelled, or the workflow no longer wants this attempt):
      // report the cancellation itself, not the HTTP client's abort error.
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      if (err instanceof ProviderError) {
        // Non-retryable at the Temporal level: the workflow reads the details and decides.
        throw ApplicationFailure.create({
          type: err.details.errorClass,
          message: err.details.message,
          nonRetryable: true,
          details: [err.details],
        });
      }
      throw err;
    } finally {
      clearInterval(timer);
    }
  }

  return { callModel };
}

export type ModelActivities = ReturnType<typeof createModelActivities>;
