/**
 * POST /v1/messages: the Anthropic Messages API in front of a cascade, so the Anthropic SDKs work
 * unmodified (base URL and key aside).
 *
 * An adapter, not a second implementation: the body is validated as Anthropic's
 * (src/doors/gateway/anthropic-validation.ts), translated to a chat-completions body
 * (src/doors/gateway/anthropic-translate.ts) and handed to the
 * gateway's own POST /v1/chat/completions in-process (Fastify's inject, no socket). That route
 * maps `model` to a task, validates, derives the workflow id from Idempotency-Key (the same
 * `<token-id>:<key>`, the same body-hash memo: a repeat joins, a different body is a 409), starts
 * or joins the workflow, rides out Temporal outages and waits for the checked answer, exactly as
 * for a chat completion. Its answer (or its error) is translated back into Anthropic's shape.
 *
 * The in-process request carries the caller's own credential headers (it is authenticated like
 * any request; the token stays in this process's memory) and a marker that keeps it out of the
 * access log, where the caller's request has its own line.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, LightMyRequestResponse } from 'fastify';
import type { Trace } from '../../request/router/trace';
import {
  anthropicParam,
  applyStopSequences,
  servedOutputTokens,
  toAnthropicMessage,
  toChatBody,
  type StopReason,
} from './anthropic-translate';
import { parseMessages, type MessagesBody } from './anthropic-validation';
import { streamMessage } from './anthropic-stream';
import type { GatewayContext } from './context';
import { GatewayError, type GatewayErrorType, type OpenAiErrorBody } from './errors';
import type { InternalRequests } from './internal-request';
import type { ChatCompletion } from './translate';

export const MESSAGES_PATH = '/v1/messages';
const CHAT_PATH = '/v1/chat/completions';

/** The caller's headers the chat route reads: its credential, its keys, its own deadline. */
const FORWARDED = ['authorization', 'x-api-key', 'idempotency-key', 'x-request-id', 'x-stainless-timeout'];
/** Headers of the chat route's answer the caller gets too. */
const KEPT = /^(x-cascade-.*|retry-after|www-authenticate)$/;

/** How long the trace may take to read when deciding whether max_tokens stopped the answer. */
const TRACE_READ_MS = 5_000;

function forwardedHeaders(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED) {
    const v = req.headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

function keptHeaders(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (KEPT.test(k) && typeof v === 'string') out[k] = v;
  }
  // Anthropic's SDKs read the request id from `request-id` (`message._request_id`).
  if (out['x-cascade-request-id']) out['request-id'] = out['x-cascade-request-id'];
  return out;
}

/** The chat route's refusal, in Anthropic terms: the same status, headers and retry advice. */
function chatError(
  res: LightMyRequestResponse,
  chat: Record<string, unknown>,
  headers: Record<string, string>,
): GatewayError {
  let error: OpenAiErrorBody['error'] | undefined;
  try {
    error = (res.json() as OpenAiErrorBody).error;
  } catch {
    error = undefined;
  }
  if (!error || typeof error.message !== 'string') {
    return new GatewayError(
      500,
      'internal error: unreadable answer',
      'api_error',
      'internal_error',
      null,
      headers,
    );
  }
  let message = error.message;
  let param = error.param;
  if (param) {
    const mapped = anthropicParam(param, chat);
    message = message.split(param).join(mapped);
    param = mapped;
  }
  return new GatewayError(
    res.statusCode,
    message,
    error.type as GatewayErrorType,
    error.code,
    param,
    headers,
    res.headers['x-should-retry'] === 'true',
  );
}

/**
 * Whether the served answer ended at max_tokens, when the chat route's finish_reason did not say
 * "length" (it says so only when the served call's finish reason is on the record). The trace
 * records each call's output tokens, so the served call is taken to have been cut when it produced
 * max_tokens or more. When every call together produced fewer, none was cut (no trace read);
 * when the trace cannot be read, the answer is reported as possibly cut (max_tokens), which sends
 * a caller to check it rather than take a cut answer as whole.
 */
async function reachedMaxTokens(
  ctx: GatewayContext,
  requestId: string | undefined,
  body: MessagesBody,
  completionTokens: number,
): Promise<boolean> {
  if (completionTokens < body.max_tokens) return false;
  if (!requestId) return true;
  try {
    const connection = ctx.cascade.client.connection;
    const trace = (await connection.withDeadline(Date.now() + TRACE_READ_MS, () =>
      ctx.cascade.client.workflow.getHandle(requestId).result(),
    )) as Trace;
    const served = servedOutputTokens(trace);
    return served === null || served >= body.max_tokens;
  } catch {
    return true;
  }
}

export function registerAnthropicMessages(
  app: FastifyInstance,
  ctx: GatewayContext,
  internal: InternalRequests,
): void {
  app.post(MESSAGES_PATH, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = parseMessages(req.body);
    const chat = toChatBody(body);
    const res = await app.inject({
      method: 'POST',
      url: CHAT_PATH,
      headers: {
        ...forwardedHeaders(req),
        ...internal.header(),
        'content-type': 'application/json',
      },
      payload: JSON.stringify(chat),
    });
    const headers = keptHeaders(res);
    if (res.statusCode !== 200) throw chatError(res, chat, headers);
    const completion = res.json() as ChatCompletion;
    const answer = completion.choices[0]?.message.content ?? '';
    const { text, stopSequence } = applyStopSequences(answer, body.stop_sequences);
    const choice = completion.choices[0];
    const stopReason: StopReason =
      stopSequence !== null
        ? 'stop_sequence'
        : choice?.finish_reason === 'length' ||
            (await reachedMaxTokens(
              ctx,
              headers['x-cascade-request-id'],
              body,
              completion.usage.completion_tokens,
            ))
          ? 'max_tokens'
          : 'end_turn';
    const message = toAnthropicMessage({
      requestId: headers['x-cascade-request-id'] ?? completion.id,
      model: body.model,
      text,
      stopReason,
      stopSequence,
      inputTokens: completion.usage.prompt_tokens,
      outputTokens: completion.usage.completion_tokens,
    });
    if (body.stream) {
      streamMessage(reply, message, headers);
      return reply;
    }
    return reply.headers(headers).send(message);
  });
}
