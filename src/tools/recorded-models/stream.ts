/**
 * `stream: true` on the recorded-model server's /v1/chat/completions: the recorded reply as
 * OpenAI's server-sent events, paced so that time to first token differs from total time.
 *
 * The recording has one latency for the whole reply and no token boundaries, so the text is sent
 * in pieces (a word with its trailing whitespace, so the pieces concatenate to exactly the text)
 * and the (scaled) recorded latency is spread evenly over them: piece k of n goes out at
 * (k+1)/n of it. The last piece therefore arrives when the whole body would have, and the first
 * after latency/n: a per-token latency. The model's concurrency slot is held for the whole stream.
 *
 * Events, as OpenAI sends them: a role chunk (at once), the content pieces (the recorded logprobs,
 * when asked for, ride on the first), a recorded tool-call reply as one tool-call delta, a finish
 * chunk, with `stream_options.include_usage` a usage chunk (empty `choices`, the same usage the
 * whole body reports), then `data: [DONE]`. `x-recorded-*` headers as on a whole body.
 *
 * `streamGate` (an option for tests, in-process): once the first content piece has been written,
 * the rest of the answer waits until the gate resolves; `cut` drops the connection there (a
 * stream cut off mid-way, as a provider that fails mid-answer). A test that holds the gate until
 * it has received that piece through the gateway proves the gateway forwards it live: a gateway
 * that buffered would wait for the end, which the gate holds back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServedAnswer } from './answer';
import { QueueAbortedError } from './limiter';
import { recordedHeaders, type ServeOptions } from './serve-answer';

export interface StreamGateInfo {
  /** The real (recorded) model name. */
  model: string;
  /** The first piece, already written. */
  first: string;
  /** The whole text that is being streamed. */
  content: string;
}

/** Decides, after the first piece of a stream, whether (and when) the rest follows. */
export type StreamGate = (info: StreamGateInfo) => Promise<'continue' | 'cut'> | 'continue' | 'cut';

/** The text in pieces whose concatenation is the text, exactly. */
export function streamPieces(text: string): string[] {
  return text.match(/[^\s]+\s*|\s+/g) ?? [];
}

let streamCounter = 0;

export async function streamAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: ServedAnswer,
  opts: ServeOptions & { includeUsage: boolean; gate?: StreamGate },
): Promise<FastifyReply> {
  const { limiter, metrics, latencyScale } = opts.deps;
  let release: () => void;
  reply.hijack();
  const res = reply.raw;
  const gone = () => {
    if (!res.destroyed) res.destroy();
    metrics.countRequest(opts.label, 'aborted');
    return reply;
  };
  try {
    release = await limiter.acquire(answer.model, opts.signal);
  } catch (err) {
    if (!(err instanceof QueueAbortedError) && !opts.signal.aborted) throw err;
    return gone();
  }
  try {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...recordedHeaders(answer),
    });
    streamCounter++;
    const base = {
      id: `chatcmpl-recorded-stream-${streamCounter}`,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
      system_fingerprint: null,
    };
    const send = (chunk: object | string) =>
      res.write(`data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`);
    const choice = (delta: object, finish: string | null = null, logprobs: unknown = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
      ...(opts.includeUsage ? { usage: null } : {}),
    });
    send(choice({ role: 'assistant', content: answer.toolCalls ? null : '', refusal: null }));
    const pieces = answer.toolCalls ? [] : streamPieces(answer.content);
    const steps = Math.max(1, pieces.length);
    const perPieceMs = (answer.latencyMs * latencyScale) / steps;
    for (let k = 0; k < pieces.length; k++) {
      if (perPieceMs > 0) await sleep(perPieceMs, undefined, { signal: opts.signal });
      send(choice({ content: pieces[k] }, null, k === 0 ? answer.logprobs : null));
      if (k === 0 && opts.gate) {
        const next = await opts.gate({ model: answer.model, first: pieces[0]!, content: answer.content });
        if (next === 'cut') {
          cut(request);
          metrics.countRequest(opts.label, 'cut');
          return reply;
        }
      }
    }
    if (pieces.length === 0 && perPieceMs > 0) await sleep(perPieceMs, undefined, { signal: opts.signal });
    if (answer.toolCalls) {
      send(
        choice({
          tool_calls: answer.toolCalls.map((call, index) => ({ index, ...call })),
        }),
      );
    }
    const finish = answer.toolCalls ? 'tool_calls' : (answer.finishReason ?? 'stop');
    send(choice({}, finish, pieces.length === 0 ? answer.logprobs : null));
    if (opts.includeUsage) send({ ...base, choices: [], usage: answer.usage });
    res.end('data: [DONE]\n\n');
    metrics.countRequest(opts.label, '200');
    return reply;
  } catch (err) {
    if (opts.signal.aborted) return gone();
    // Headers are out: the only way left to say "failed" is to drop the connection.
    process.stderr.write(`recorded-model server: stream failed: ${(err as Error).message}\n`);
    if (!res.destroyed) res.destroy();
    metrics.countRequest(opts.label, '500');
    return reply;
  } finally {
    release();
  }
}

/** An RST rather than a FIN, as a real connection cut off mid-answer. */
function cut(request: FastifyRequest): void {
  const socket = request.raw.socket;
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}
