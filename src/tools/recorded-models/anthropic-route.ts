/**
 * The recorded-model server's Anthropic route: `POST /v1/messages` (the Messages API), so the
 * Anthropic provider client runs unchanged against recorded outputs of real models.
 *
 * A request is turned into the chat form the OpenAI route reads (`system` as the system message,
 * then the user/assistant turns) and resolved by the same code (answer.ts): the same lookup by
 * model and sha256(system + last user message), the same self-check and judge handling, the same
 * concurrency slots, latency and admin/rate faults. It never invents anything either: derived
 * fields are listed in `x-recorded-derived` under their Anthropic names (`usage.input_tokens`...).
 * Anthropic returns no logprobs, so none are served.
 *
 * Errors are Anthropic-shaped, `{ type: "error", error: { type, message } }`: 400
 * `invalid_request_error` (malformed body, no user message), 404 `not_found_error` (unknown model
 * or prompt). Faults: `x-recorded-fault` takes the server's kinds plus `529` (Anthropic's
 * `overloaded_error`, by header only: admin scripts and the fault rate draw the server's kinds);
 * 429 (`rate_limit_error` with `retry-after`), 500 (`api_error`), `malformed` (a truncated message
 * body) and `empty` (no content blocks) have Anthropic bodies; `timeout` and `reset` behave as on
 * the OpenAI route.
 */
import { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { resolveCompletion, type ServedAnswer } from './answer';
import { type RecordedDataset } from './dataset';
import {
  type FaultInjector,
  type FaultKind,
  type FaultResponseOptions,
  isFaultKind,
  respondWithFault,
} from './faults';
import { type ConcurrencyLimiter } from './limiter';
import { serveAnswer } from './serve-answer';
import { type RecordedMetrics } from './metrics';
import { type ChatCompletionRequest } from './openai-schema';
import type { RequestLog } from './request-log';

export const MESSAGES_ROUTE = '/v1/messages';

export interface AnthropicRouteDeps {
  dataset: RecordedDataset;
  limiter: ConcurrencyLimiter;
  metrics: RecordedMetrics;
  faults: FaultInjector;
  settings: {
    latencyScale: number;
    defaultLatencyMs: number;
    selfCheckLatencyMs: number;
    retryAfterSeconds: number;
    timeoutHangMs: number;
  };
  /** Aborted when the server closes. */
  shutdown: AbortSignal;
  /** Where the bodies it is sent are kept (request-log.ts). */
  requestLog?: RequestLog;
}

// --- request and error shapes -----------------------------------------------------------------

const textBlock = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(textBlock)]);

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.looseObject({ role: z.enum(['user', 'assistant']), content })).min(1),
  system: content.optional(),
  temperature: z.number().min(0).max(1).optional(),
  // Only whole messages are recorded.
  stream: z.literal(false).optional(),
  // Structured outputs: accepted and ignored, the recorded answer is served as it was recorded.
  output_config: z.looseObject({}).optional(),
  // Applied to the recorded text, as `stop` is on the chat route.
  stop_sequences: z.array(z.string()).optional(),
  // A recorded tool call is served (as `tool_use` blocks) only to a request that offers tools.
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
});
export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

export type AnthropicErrorType =
  'invalid_request_error' | 'not_found_error' | 'rate_limit_error' | 'api_error' | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

export function anthropicError(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}

/** Anthropic's validation wording: `messages.0.role: Input should be 'user' or 'assistant'`. */
function requestError(error: z.ZodError, body: unknown): AnthropicErrorBody {
  const issue = error.issues[0];
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !issue) {
    return anthropicError('invalid_request_error', 'the request body must be a JSON object');
  }
  const path = issue.path.map(String).join('.');
  if (path === 'stream') {
    return anthropicError(
      'invalid_request_error',
      'stream: streaming is not supported by the recorded-model server; request a whole message',
    );
  }
  let value: unknown = body;
  for (const part of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[part];
  return anthropicError(
    'invalid_request_error',
    value === undefined ? `${path}: Field required` : `${path}: ${issue.message}`,
  );
}

const blockText = (c: MessagesRequest['system']): string =>
  c === undefined ? '' : typeof c === 'string' ? c : c.map((b) => b.text ?? '').join('');

const isToolResults = (c: MessagesRequest['messages'][number]['content']): boolean =>
  Array.isArray(c) && c.length > 0 && c.every((b) => b.type === 'tool_result');

/** The chat form answer.ts resolves: `system` first, then the turns. No logprobs. */
export function toChatRequest(body: MessagesRequest): ChatCompletionRequest {
  const system = blockText(body.system);
  return {
    model: body.model,
    messages: [
      ...(system !== '' ? [{ role: 'system' as const, content: system }] : []),
      // A user turn of tool results only answers the model; the prompt is the user's own turn.
      ...body.messages.map((m) => ({
        role: isToolResults(m.content) ? ('tool' as const) : m.role,
        content: blockText(m.content),
      })),
    ],
    ...(body.tools && body.tools.length > 0 ? { tools: body.tools.map(() => ({ type: 'function' })) } : {}),
    logprobs: false,
    max_tokens: body.max_tokens,
    ...(body.stop_sequences ? { stop: body.stop_sequences } : {}),
  };
}

// --- the route --------------------------------------------------------------------------------

type AnthropicFault = FaultKind | '529';
let messageCounter = 0;

export function registerAnthropicRoute(app: FastifyInstance, deps: AnthropicRouteDeps): void {
  const { dataset, limiter, metrics, faults, settings } = deps;

  const errorHandler = (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    // Errors fastify raises before the handler runs (unparseable JSON, wrong content type, too large).
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    metrics.countRequest('', String(status));
    return reply
      .code(status)
      .send(
        status < 500
          ? anthropicError('invalid_request_error', error.message)
          : anthropicError('api_error', `internal error: ${error.message}`),
      );
  };

  app.post(MESSAGES_ROUTE, { errorHandler }, async (request, reply) => {
    // Fires when the client goes away before the response is complete, or on server shutdown.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const signal = AbortSignal.any([gone.signal, deps.shutdown]);
    let label = modelLabel(request.body, dataset);
    const sendError = (status: number, body: AnthropicErrorBody): FastifyReply => {
      metrics.countRequest(label, String(status));
      return reply.code(status).send(body);
    };

    deps.requestLog?.add(MESSAGES_ROUTE, request.body);
    const parsed = messagesRequestSchema.safeParse(request.body);
    if (!parsed.success) return sendError(400, requestError(parsed.error, request.body));
    const body = parsed.data;
    label = dataset.resolveModel(body.model) ?? body.model;

    const header = readFaultHeaders(request);
    if ('error' in header) return sendError(400, header.error);

    // Faults come before the lookup, as a provider's rate limiter answers before the model runs.
    const fault: AnthropicFault | undefined =
      header.kind === '529' ? '529' : faults.decide(label, header.kind)?.kind;
    if (fault) {
      const retryAfterSeconds = header.retryAfterSeconds ?? settings.retryAfterSeconds;
      const outcome = await respondWithAnthropicFault(fault, request, reply, {
        model: label,
        retryAfterSeconds,
        timeoutHangMs: settings.timeoutHangMs,
        signal,
      });
      metrics.countRequest(label, outcome);
      return reply;
    }

    const resolution = resolveCompletion(dataset, toChatRequest(body), settings);
    if (resolution.kind !== 'answer') {
      return sendError(
        resolution.kind === 'not_found' ? 404 : 400,
        anthropicError(
          resolution.kind === 'not_found' ? 'not_found_error' : 'invalid_request_error',
          resolution.param ? `${resolution.param}: ${resolution.message}` : resolution.message,
        ),
      );
    }

    return serveAnswer(reply, resolution, {
      deps: { limiter, metrics, latencyScale: settings.latencyScale },
      label,
      signal,
      derivedName: (d) => DERIVED_NAMES[d] ?? d,
      body: messageBody,
    });
  });
}

function modelLabel(body: unknown, dataset: RecordedDataset): string {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  if (typeof model !== 'string') return '';
  return dataset.resolveModel(model) ?? model.slice(0, 200);
}

function readFaultHeaders(
  request: FastifyRequest,
):
  | { kind: FaultKind | 'ok' | '529' | undefined; retryAfterSeconds: number | undefined }
  | { error: AnthropicErrorBody } {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.trim();
  const rawKind = first(request.headers['x-recorded-fault']);
  const rawRetry = first(request.headers['x-recorded-retry-after']);
  let kind: FaultKind | 'ok' | '529' | undefined;
  if (rawKind !== undefined) {
    if (rawKind !== 'ok' && rawKind !== '529' && !isFaultKind(rawKind)) {
      return {
        error: anthropicError(
          'invalid_request_error',
          `header x-recorded-fault must be one of 429, 500, 529, timeout, reset, malformed, empty, ok; got ${JSON.stringify(rawKind)}`,
        ),
      };
    }
    kind = rawKind;
  }
  let retryAfterSeconds: number | undefined;
  if (rawRetry !== undefined) {
    if (!/^\d{1,6}$/.test(rawRetry)) {
      return {
        error: anthropicError(
          'invalid_request_error',
          `header x-recorded-retry-after must be a whole number of seconds; got ${JSON.stringify(rawRetry)}`,
        ),
      };
    }
    retryAfterSeconds = Number(rawRetry);
  }
  return { kind, retryAfterSeconds };
}

/** answer.ts names derived usage fields as OpenAI does; this reply has Anthropic's names. */
const DERIVED_NAMES: Record<string, string> = {
  'usage.prompt_tokens': 'usage.input_tokens',
  'usage.completion_tokens': 'usage.output_tokens',
};

/**
 * A recorded call's arguments as `tool_use.input`, which the Messages API always sends as an
 * object: arguments that are not a JSON object (a small model's Python dict) are kept as text
 * under `_raw`, so the failure still reaches the check instead of turning into a valid call.
 */
function toolInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // kept as text below
  }
  return { _raw: args };
}

function messageSkeleton(
  model: string,
  id: string,
  blocks: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: object })[],
  usage: { input_tokens: number; output_tokens: number },
  stop: { reason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use'; sequence: string | null } = {
    reason: 'end_turn',
    sequence: null,
  },
): object {
  return {
    id,
    type: 'message',
    role: 'assistant',
    content: blocks,
    model,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage,
  };
}

function messageBody(answer: ServedAnswer): object {
  messageCounter++;
  return messageSkeleton(
    // The real model name, as Anthropic answers an alias with the dated snapshot.
    answer.model,
    `msg_recorded_${messageCounter}`,
    answer.toolCalls
      ? answer.toolCalls.map((c) => ({
          type: 'tool_use' as const,
          id: c.id,
          name: c.function.name,
          input: toolInput(c.function.arguments),
        }))
      : [{ type: 'text', text: answer.content }],
    { input_tokens: answer.usage.prompt_tokens, output_tokens: answer.usage.completion_tokens },
    answer.toolCalls
      ? { reason: 'tool_use', sequence: null }
      : answer.stoppedAt !== undefined
        ? { reason: 'stop_sequence', sequence: answer.stoppedAt }
        : answer.finishReason === 'length'
          ? { reason: 'max_tokens', sequence: null }
          : { reason: 'end_turn', sequence: null },
  );
}

async function respondWithAnthropicFault(
  kind: AnthropicFault,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: FaultResponseOptions,
): Promise<string> {
  if (kind === '529') {
    await reply
      .code(529)
      .header('x-recorded-fault', kind)
      .send(anthropicError('overloaded_error', 'Overloaded (injected fault)'));
    return '529';
  }
  // The other faults behave as on the OpenAI route, with the Messages API's bodies.
  const id = `msg_recorded_fault_${Date.now().toString(36)}`;
  const noUsage = { input_tokens: 0, output_tokens: 0 };
  return respondWithFault(kind, request, reply, opts, {
    rateLimited: (model) =>
      anthropicError(
        'rate_limit_error',
        `Number of requests has exceeded your rate limit for ${model} (injected fault)`,
      ),
    serverError: () => anthropicError('api_error', 'Internal server error (injected fault)'),
    cutOff: (model) => messageSkeleton(model, id, [{ type: 'text', text: '' }], noUsage),
    empty: (model) => messageSkeleton(model, id, [], noUsage),
  });
}
