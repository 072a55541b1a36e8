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

export async function serveAnswer(
  reply: FastifyReply,
  answer: ServedAnswer,
  opts: {
    deps: ServeAnswerDeps;
    /** The metrics label of the request (the model name asked for). */
    label: string;
    signal: AbortSignal;
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
    reply.header('x-recorded-row-id', answer.reply.rowId);
    reply.header('x-recorded-latency-ms', String(answer.latencyMs));
    if (answer.costUsd !== undefined) reply.header('x-recorded-cost-usd', String(answer.costUsd));
    if (answer.derived.length > 0) {
      const name = opts.derivedName ?? ((d: string) => d);
      reply.header('x-recorded-derived', answer.derived.map(name).join(','));
    }
    if (answer.reply.judgement) reply.header('x-recorded-judge-prompt', answer.reply.judgement.judgeType);
    metrics.countRequest(opts.label, '200');
    return await reply.code(200).send(opts.body(answer));
  } finally {
    release();
  }
}
