/**
 * One model-call attempt through an official provider SDK, the part every adapter shares: a
 * deadline over the whole attempt (the SDKs' own `timeout` stops at the response headers, so a
 * body that stalls would hang for ever), the caller's abort kept apart from that deadline, a
 * fetch that notes the status, headers and raw error body the SDK may not surface, and the
 * failure classified into the Contracts' error classes (classify.ts) with secrets removed.
 */
import { type ModelConfig } from '../config/schema';
import { classifyFailure } from './failure-class';
import { ProviderError } from './types';

/** What the capturing fetch saw of the response, for failures the SDK reports without it. */
interface Seen {
  status?: number;
  headers?: Headers;
  errorBody?: string;
}

/** Error bodies kept for classification: a message and a code fit easily; an HTML page need not. */
const MAX_ERROR_BODY_CHARS = 4096;

export interface AttemptContext {
  modelId: string;
  baseUrl: string;
  timeoutMs: number;
  /** Strings never to appear in an error (the API key). */
  secrets: string[];
  /** The fetch the SDK would use (tests inject one). */
  baseFetch: typeof fetch;
}

/** How an SDK adapter is built (registry.ts builds them). */
export interface SdkProviderOptions {
  /** Resolved by the caller (registry.ts) from the worker's environment; absent for keyless endpoints. */
  apiKey?: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
}

/** The context of every attempt an adapter makes for one model, fixed when the adapter is built. */
export function attemptContext(
  modelId: string,
  config: ModelConfig,
  opts: SdkProviderOptions,
): AttemptContext {
  return {
    modelId,
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    secrets: opts.apiKey ? [opts.apiKey] : [],
    baseFetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

/**
 * Runs `send` with a capturing fetch and the combined abort signal. Resolves to what `send`
 * resolves to; a failure becomes a ProviderError, except the caller's own abort (an activity
 * cancellation is not a model failure), which is rethrown as it is.
 */
export async function sdkAttempt<T>(
  ctx: AttemptContext,
  callerSignal: AbortSignal | undefined,
  send: (fetch: typeof globalThis.fetch, signal: AbortSignal, started: number) => Promise<T>,
): Promise<T> {
  const started = performance.now();
  const seen: Seen = {};
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ctx.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline.signal]) : deadline.signal;
  try {
    return await send(capturingFetch(ctx.baseFetch, seen), signal, started);
  } catch (err) {
    if (callerSignal?.aborted) throw err;
    throw new ProviderError(
      classifyFailure(err, {
        modelId: ctx.modelId,
        baseUrl: ctx.baseUrl,
        latencyMs: performance.now() - started,
        nowMs: Date.now(),
        timedOut: deadline.signal.aborted,
        timeoutMs: ctx.timeoutMs,
        responseStatus: seen.status,
        responseHeaders: seen.headers,
        responseBody: seen.errorBody,
        secrets: ctx.secrets,
      }),
    );
  } finally {
    clearTimeout(timer);
  }
}

function capturingFetch(base: typeof fetch, seen: Seen): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    seen.status = response.status;
    seen.headers = response.headers;
    if (!response.ok) {
      // SDKs keep only their own error shapes ({ error: {...} }); vLLM's and FastAPI's would lose
      // their message, so keep the raw text for classification.
      const text = await response
        .clone()
        .text()
        .catch(() => undefined);
      seen.errorBody = text?.slice(0, MAX_ERROR_BODY_CHARS);
    }
    return response;
  };
}
