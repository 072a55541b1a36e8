/**
 * OpenAI-style errors: every failure the gateway returns is `{ error: { message, type, param,
 * code } }` with the status OpenAI clients expect, so their retry and error handling works
 * unchanged. Fastify's own errors (bad JSON, body too large, wrong content type) are mapped here too.
 */
import { ServiceError } from '@temporalio/client';
import type { FastifyError, FastifyReply } from 'fastify';

export type GatewayErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'timeout_error'
  | 'service_unavailable';

export interface OpenAiErrorBody {
  error: { message: string; type: GatewayErrorType; param: string | null; code: string | null };
}

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: GatewayErrorType,
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Headers to send with the error (the request id of a workflow that ran, Allow, ...). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(400, message, 'invalid_request_error', code, param);

export const notFound = (message: string, code: string, param: string | null = null) =>
  new GatewayError(404, message, 'invalid_request_error', code, param);

export function sendError(reply: FastifyReply, err: GatewayError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  // OpenAI's clients retry 409, 429 and 5xx on their own, without an Idempotency-Key: a blind
  // retry of a request that ran (or still runs) would start and pay for a second cascade. Only a
  // 503 (Temporal unreachable: nothing started) is worth retrying as it is.
  reply.header('x-should-retry', err.status === 503 ? 'true' : 'false');
  return reply.status(err.status).type('application/json').send(err.body());
}

/** Fastify's own request errors, as OpenAI errors; undefined for anything that is not one. */
export function fromFastifyError(err: FastifyError): GatewayError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError(413, 'request body too large', 'invalid_request_error', 'request_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError(
        415,
        'unsupported content type: send the body as application/json',
        'invalid_request_error',
        'unsupported_media_type',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('the request body is empty: send a JSON object', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return badRequest('the content-length does not match the body', null, 'invalid_body');
    default:
      break;
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return badRequest(`the request body is not valid JSON: ${err.message}`, null, 'invalid_json');
  }
  if (err instanceof ServiceError) {
    return new GatewayError(
      503,
      `Temporal is unavailable: ${err.message}`,
      'service_unavailable',
      'temporal_unavailable',
    );
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new GatewayError(err.statusCode, err.message, 'invalid_request_error', 'invalid_request');
  }
  return undefined;
}
