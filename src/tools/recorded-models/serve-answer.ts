/**
 * The last step of a recorded reply, the same for every protocol the server speaks: hold the
 * model's concurrency slot for the (scaled) recorded latency, so a slow model builds a real
 * queue, then send the protocol's body with the headers that say where the answer came from.
 * A client that leaves while waiting gets nothing (and is counted as `aborted`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import type { ServedAnswer } from './answer';
import { type ConcurrencyLimiter, QueueAbortedError } from './limiter';
import type { RecordedMetrics } from './metrics';

export interface ServeAnswerDeps {
  limiter: ConcurrencyLimiter;
  metrics: RecordedMetrics;
  latencyScale: number;
}

/** What serving one answer takes, whole (serveAnswer) or streamed (stream.ts). */
export interface ServeOptions {
  deps: ServeAnswerDeps;
  /** The metrics label of the request (the model name asked for). */
  label: string;
  /** Fires when the client goes away or the server shuts down. */
  signal: AbortSignal;
}

/**
 * The headers that say where an answer came from: its recorded row, latency and cost, and the
 * fields derived rather than recorded (named in the protocol's terms by `derivedName`).
 */
export function recordedHeaders(
  answer: ServedAnswer,
  derivedName: (field: string) => string = (d) => d,
): Record<string, string> {
  return {
    'x-recorded-row-id': answer.reply.rowId,
    'x-recorded-latency-ms': String(answer.latencyMs),
    ...(answer.costUsd !== undefined ? { 'x-recorded-cost-usd': String(answer.costUsd) } : {}),
    ...(answer.derived.length > 0 ? { 'x-recorded-derived': answer.derived.map(derivedName).join(',') } : {}),
  };
}

export async function serveAnswer(
  reply: FastifyReply,
  answer: ServedAnswer,
  opts: ServeOptions & {
    /** Names of derived fields in this protocol's terms (`x-recorded-derived`). */
    derivedName?: (field: string) => string;
    body: (answer: ServedAnswer) => object;
  },
): Promise<FastifyReply> {
  const { limiter, metrics, latencyScale } = opts.deps;
  let release: (() => void) | undefined;
  try {
    release = await limiter.acquire(answer.model, opts.signal);
    const waitMs = answer.latencyMs * latencyScale;
    if (waitMs > 0) await sleep(waitMs, undefined, { signal: opts.signal });
  } catch (err) {
    release?.();
    if (!(err instanceof QueueAbortedError) && !opts.signal.aborted) throw err;
    // The client left (or the server is closing): nobody to answer.
    reply.hijack();
    if (!reply.raw.destroyed) reply.raw.destroy();
    metrics.countRequest(opts.label, 'aborted');
    return reply;
  }
  try {
    reply.headers(recordedHeaders(answer, opts.derivedName));
    if (answer.reply.judgement) reply.header('x-recorded-judge-prompt', answer.reply.judgement.judgeType);
    metrics.countRequest(opts.label, '200');
    return await reply.code(200).send(opts.body(answer));
  } finally {
    release();
  }
}
