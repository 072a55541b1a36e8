/**
 * `stream: true`: the answer as server-sent events in OpenAI's chunk format, delivered one of two
 * ways (docs/gateway.md, "Streaming"; the response says which in `x-cascade-stream`).
 *
 * **live** (issue #17): when the rung that answers cannot be overruled (a static route, the last
 * rung of a ladder, a pre-route straight to the strongest model, direct-small without a schema,
 * a cascade rung without a check; never with a schema, tools or the caller's logprobs:
 * src/request/router/live-stream.ts, the one rule the activity and the gateway share) and the model call
 * runs in this process (the gateway with its worker, `cascade dev`), the call streams from the
 * provider and its text reaches the caller as the model produces it (src/temporal/activities/live-channel.ts):
 * the 200 and the headers known before the trace (request id, trace URL, route, the model that
 * answers, whether it escalated when the policy tells) go out with the first piece, then a role
 * delta and the provider's content deltas. The end waits for the workflow, still the source of
 * truth: once its trace says that exact text was served, a finish chunk (its finish reason) and
 * the usage chunk (every call's tokens, from the trace) close it with `data: [DONE]`. If the
 * call breaks after text went out, or the workflow ends otherwise (failed, cancelled, a
 * different answer served, the deadline), the stream ends with an OpenAI error event
 * (`data: {"error": {...}}`, which the SDKs raise) and no `[DONE]`: text already shown is never
 * followed by a retry's text. The workflow goes on and records as ever; a repeat with the same
 * Idempotency-Key gets its answer.
 *
 * **checked** (everything else, and when no piece came live: the model call ran in another
 * process, the provider cannot stream, the first attempt failed before any text): nothing is
 * streamed before the workflow has finished, because a cascade's answer is not final until it has
 * been checked (a low-confidence or schema-invalid answer is replaced by a stronger rung's). The
 * stream starts after the check, with the whole checked answer, as a role delta, content deltas
 * (one per word with its trailing whitespace), tool-call deltas (per call: its id, type and name
 * with empty arguments, then the arguments in pieces, each delta keyed by the call's `index`, as
 * OpenAI streams them), a finish chunk, an optional usage chunk (`stream_options.include_usage`)
 * and `data: [DONE]`. The caller's logprobs ride on the first content delta (clients concatenate
 * them across chunks). Errors before the stream starts are ordinary JSON error responses.
 */
import type { FastifyReply } from 'fastify';
import type { LiveCall, LiveListener } from '../../temporal/activities/live-channel';
import type { GatewayError } from './errors';
import type { ChatCompletion } from './translate';

/** The answer in pieces whose concatenation is the answer, exactly. */
export function answerPieces(answer: string): string[] {
  return answer.match(/[^\s]+\s*|\s+/g) ?? [];
}

/** A tool call's arguments in pieces (after each comma or colon): their concatenation is the text. */
export function argumentPieces(args: string): string[] {
  return args.match(/[^,:]*[,:]?/g)?.filter((p) => p !== '') ?? [];
}

export function completionChunks(completion: ChatCompletion, includeUsage: boolean): unknown[] {
  const base = {
    id: completion.id,
    object: 'chat.completion.chunk' as const,
    created: completion.created,
    model: completion.model,
    system_fingerprint: completion.system_fingerprint,
  };
  const choice = (delta: Record<string, unknown>, finish: string | null, logprobs: unknown = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const { message, logprobs } = completion.choices[0]!;
  const calls = message.tool_calls ?? [];
  const text = answerPieces(message.content ?? '').map((piece, i) =>
    choice({ content: piece }, null, i === 0 ? logprobs : null),
  );
  const toolDeltas = calls.flatMap((call, index) => [
    choice(
      {
        tool_calls: [
          { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
        ],
      },
      null,
    ),
    ...argumentPieces(call.function.arguments).map((piece) =>
      choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null),
    ),
  ]);
  return [
    choice({ role: 'assistant', content: message.content === null ? null : '', refusal: null }, null),
    ...text,
    ...toolDeltas,
    // Logprobs with no text to carry them (a reply of tool calls alone) come with the finish.
    choice({}, completion.choices[0]!.finish_reason, text.length === 0 ? logprobs : null),
    ...(includeUsage ? [{ ...base, choices: [], usage: completion.usage }] : []),
  ];
}

/** Writes the stream and ends the response; a client that left is simply not written to. */
export function streamCompletion(
  reply: FastifyReply,
  completion: ChatCompletion,
  headers: Record<string, string>,
  includeUsage: boolean,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { ...SSE_HEADERS, ...headers, 'x-cascade-stream': 'checked' });
  for (const chunk of completionChunks(completion, includeUsage)) {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  if (!res.destroyed) res.end('data: [DONE]\n\n');
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** What a live stream knows before the workflow ends: from the request and its policy snapshot. */
export interface LiveStreamOptions {
  /** The workflow id (errors name it: a repeat with it as Idempotency-Key gets the answer). */
  requestId: string;
  /** The chunks' `id`: the request's stable completion id (completionId). */
  id: string;
  /** The chunks' `model`: the model the caller asked for. */
  model: string;
  /** The chunks' `system_fingerprint`: the snapshot's config version (as the trace will say). */
  systemFingerprint: string;
  created: number;
  includeUsage: boolean;
  /** The headers known before the trace (request id, trace URL, route). */
  headers: Record<string, string>;
  /** More headers once the answering call is known (the final model, whether it escalated). */
  callHeaders: (call: LiveCall) => Record<string, string>;
}

/**
 * A live stream (see the header comment): the listener the gateway subscribes to the request's
 * live channel with. Its first piece sends the 200 and the role delta; `finish` and `fail` end it
 * once the workflow has. A client that left is simply not written to.
 */
export class LiveStream implements LiveListener {
  /** Whether any text went out (the caller can no longer be given another answer). */
  started = false;
  /** Whether the response has ended. */
  ended = false;

  constructor(
    private readonly reply: FastifyReply,
    private readonly opts: LiveStreamOptions,
  ) {}

  delta(text: string, call: LiveCall): void {
    if (this.ended) return;
    if (!this.started) {
      this.started = true;
      this.reply.hijack();
      this.reply.raw.writeHead(200, {
        ...SSE_HEADERS,
        ...this.opts.headers,
        ...this.opts.callHeaders(call),
        'x-cascade-stream': 'live',
      });
      this.write(this.chunk({ role: 'assistant', content: '', refusal: null }, null));
    }
    this.write(this.chunk({ content: text }, null));
  }

  /** The call streaming to this caller failed after its text went out. */
  broken(reason: string, call: LiveCall): void {
    this.fail({
      message:
        `request "${this.opts.requestId}": the answer's stream from ${call.model} broke after it began ` +
        `(${reason}); the request goes on and is recorded: repeat it with ` +
        `"Idempotency-Key: ${this.opts.requestId}" to get its answer`,
      type: 'api_error',
      code: 'stream_interrupted',
    });
  }

  /** The workflow served exactly the text streamed: the finish chunk, usage, [DONE]. */
  finish(completion: ChatCompletion): void {
    if (this.ended || !this.started) return;
    const choice = completion.choices[0]!;
    this.write(this.chunk({}, choice.finish_reason));
    if (this.opts.includeUsage) this.write({ ...this.base(), choices: [], usage: completion.usage });
    this.end('data: [DONE]\n\n');
  }

  /** Ends the stream with an OpenAI error event (no [DONE]): the SDKs raise it as an APIError. */
  fail(err: Pick<GatewayError, 'message' | 'type' | 'code'>): void {
    if (this.ended || !this.started) return;
    this.write({ error: { message: err.message, type: err.type, param: null, code: err.code } });
    this.end();
  }

  private base() {
    return {
      id: this.opts.id,
      object: 'chat.completion.chunk' as const,
      created: this.opts.created,
      model: this.opts.model,
      system_fingerprint: this.opts.systemFingerprint,
    };
  }

  private chunk(delta: Record<string, unknown>, finish: string | null) {
    return {
      ...this.base(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(this.opts.includeUsage ? { usage: null } : {}),
    };
  }

  private write(chunk: unknown): void {
    const res = this.reply.raw;
    if (!res.destroyed) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  private end(last?: string): void {
    this.ended = true;
    const res = this.reply.raw;
    if (!res.destroyed) res.end(last);
  }
}
