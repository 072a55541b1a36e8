/**
 * Running a batch of requests through the cascade with bounded concurrency (what `cascade run`
 * and backend jobs use).
 *
 * Policy, on purpose:
 * - Every request is validated first (`cascade.prepare`, no workflow started), and ALL invalid
 *   ones are reported, each by its line and field. Invalid requests are skipped; the valid ones
 *   still run: a batch must not lose 999 good requests over one bad line. The caller decides
 *   what the invalid ones mean for its exit status (`cascade run` exits 1).
 * - A request id repeated inside the batch is reported as invalid on its later lines: the
 *   workflow id is the request id, so the repeat would silently return the first row's result
 *   and be counted twice.
 * - A workflow that ends with `trace.status === 'failed'` has a trace: it is in `traces` (its
 *   cost was spent) AND in `errors` as `failed`. A workflow that ends without a trace (it was
 *   terminated, or the client lost the server) is only in `errors`.
 * - Aborting (`signal`) stops starting new requests and stops waiting: what finished is
 *   returned, the requests already started are listed in `pending`. Their workflows keep
 *   running durably in Temporal; running the same requests again (same ids) collects their
 *   results instead of paying twice.
 * - `traces` and `errors` are in input order, whatever order the requests finished in.
 */
import { RequestError } from './request';
import type { Trace } from '../../request/router/trace';
import type { CascadeClient } from './cascade-client';
import { abortRace } from './abort-race';
import { clientErrorMessage } from './error-message';

export interface BatchRequest {
  /** 1-based line in the source file, when there is one (named in every error). */
  line?: number;
  value: unknown;
}

export interface BatchError {
  line?: number;
  requestId?: string;
  error: string;
  kind: 'invalid_request' | 'failed';
}

export interface BatchProgress {
  /** Requests settled so far: invalid ones (counted at once), answered and failed. */
  done: number;
  /** Every request of the batch, invalid ones included. */
  total: number;
  /** The trace of the request that just finished. */
  trace?: Trace;
  /** Why the request that just settled is an error (invalid, or failed). */
  error?: BatchError;
}

export interface BatchOptions {
  /** Requests in flight at once (an integer >= 1). */
  concurrency: number;
  onProgress?: (p: BatchProgress) => void;
  signal?: AbortSignal;
}

export interface PendingRequest {
  line?: number;
  requestId: string;
}

export interface BatchResult {
  traces: Trace[];
  errors: BatchError[];
  /** True when the signal aborted the batch before every request settled. */
  interrupted: boolean;
  /** Started but unfinished when the batch was aborted: still running in Temporal. */
  pending: PendingRequest[];
  /** Valid requests never started because the batch was aborted. */
  notStarted: number;
}

type Outcome =
  | { kind: 'trace'; trace: Trace }
  | { kind: 'error'; error: BatchError }
  | { kind: 'pending'; pending: PendingRequest };

interface Valid {
  index: number;
  line?: number;
  requestId: string;
  value: unknown;
}

export async function runBatch(
  cascade: CascadeClient,
  requests: BatchRequest[],
  opts: BatchOptions,
): Promise<BatchResult> {
  const { concurrency, onProgress, signal } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const total = requests.length;
  const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(total);
  let done = 0;
  const settle = (index: number, outcome: Outcome) => {
    outcomes[index] = outcome;
    if (outcome.kind === 'pending') return;
    done++;
    if (outcome.kind === 'trace') {
      onProgress?.({
        done,
        total,
        trace: outcome.trace,
        ...(outcome.trace.status === 'failed' ? { error: failedError(outcome.trace, index) } : {}),
      });
    } else onProgress?.({ done, total, error: outcome.error });
  };
  const lineOf = (index: number) => requests[index]!.line;
  const failedError = (trace: Trace, index: number): BatchError => ({
    ...withLine(lineOf(index)),
    requestId: trace.requestId,
    error: trace.error ?? 'the request ended without an answer',
    kind: 'failed',
  });

  // 1. Validate everything before starting anything.
  const valid: Valid[] = [];
  const seen = new Map<string, number | undefined>();
  requests.forEach((r, index) => {
    try {
      const { request } = cascade.prepare(r.value);
      if (seen.has(request.id)) {
        const first = seen.get(request.id);
        throw new RequestError(request.id, [
          {
            path: 'id',
            message: `duplicate id in this batch (first ${first !== undefined ? `on line ${first}` : 'earlier'}); it would return the first request's result`,
          },
        ]);
      }
      seen.set(request.id, r.line);
      valid.push({ index, line: r.line, requestId: request.id, value: r.value });
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      settle(index, {
        kind: 'error',
        error: {
          ...withLine(r.line),
          ...(err.requestId !== undefined ? { requestId: err.requestId } : {}),
          // Field by field; the id has its own field (RequestError's message repeats it).
          error: err.issues.map((i) => `${i.path || '(request)'}: ${i.message}`).join('; '),
          kind: 'invalid_request',
        },
      });
    }
  });

  // 2. A simple worker pool over the valid requests.
  const { aborted, release } = abortRace(signal);
  let next = 0;
  const worker = async () => {
    while (next < valid.length && !signal?.aborted) {
      const v = valid[next++]!;
      settle(v.index, await runOne(cascade, v, aborted));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, valid.length) }, worker));
  } finally {
    release();
  }

  const traces: Trace[] = [];
  const errors: BatchError[] = [];
  const pending: PendingRequest[] = [];
  outcomes.forEach((o, index) => {
    if (!o) return;
    if (o.kind === 'trace') {
      traces.push(o.trace);
      if (o.trace.status === 'failed') errors.push(failedError(o.trace, index));
    } else if (o.kind === 'error') errors.push(o.error);
    else pending.push(o.pending);
  });
  const notStarted = valid.length - next;
  return {
    traces,
    errors,
    interrupted: pending.length > 0 || notStarted > 0,
    pending,
    notStarted,
  };
}

async function runOne(cascade: CascadeClient, v: Valid, aborted: Promise<'aborted'>): Promise<Outcome> {
  const fail = (err: unknown): Outcome => ({
    kind: 'error',
    error: { ...withLine(v.line), requestId: v.requestId, error: clientErrorMessage(err), kind: 'failed' },
  });
  let result: Promise<Trace>;
  try {
    // The start itself is not raced with the abort: afterwards we know whether it started.
    const { handle } = await cascade.start(v.value);
    result = handle.result();
  } catch (err) {
    return fail(err);
  }
  // Once aborted nobody awaits `result`; its rejection when the connection closes is expected.
  result.catch(() => undefined);
  try {
    const first = await Promise.race([result, aborted]);
    if (first === 'aborted') {
      return { kind: 'pending', pending: { ...withLine(v.line), requestId: v.requestId } };
    }
    return { kind: 'trace', trace: first };
  } catch (err) {
    return fail(err);
  }
}

function withLine(line: number | undefined): { line?: number } {
  return line !== undefined ? { line } : {};
}
