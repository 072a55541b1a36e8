/**
 * OpenAI-style errors: every failure the gateway returns is `{ error: { message, type, param,
 * code } }` with the status OpenAI clients expect, so their retry and error handling works
 * unchanged. Fastify's own errors (bad JSON, body too large, wrong content type) are mapped here
 * too, and so are the errors Node's HTTP server answers by itself, before Fastify sees a request
 * (`clientErrorResponse`: a malformed request line or header, headers too large, a body that
 * did not arrive in time).
 *
 * `x-should-retry` is `false` on every error but two, given before anything was started: a 503
 * `temporal_unavailable` the gateway gives before it has sent a start to Temporal, and a 429
 * `rate_limit_exceeded` from a key's requests- or tokens-per-minute limit (with Retry-After). OpenAI's clients
 * obey the header; without it they retry 408, 409, 429 and 5xx on their own, without an
 * idempotency key, and a blind retry of a request that started pays for a second cascade.
 */
import { STATUS_CODES } from 'node:http';
import { ServiceError } from '@temporalio/client';
import type { FastifyError, FastifyReply } from 'fastify';

export type GatewayErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'insufficient_quota'
  | 'rate_limit_error'
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
    /** Safe to send again as it is (`x-should-retry: true`): nothing was started. */
    readonly retryable = false,
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

/** Temporal could not be reached before anything was sent to it: the one error worth repeating as it is. */
export const temporalUnavailable = (detail: string) =>
  new GatewayError(
    503,
    `Temporal is unavailable (${detail}); nothing was started: retry the request`,
    'service_unavailable',
    'temporal_unavailable',
    null,
    {},
    true,
  );

export function sendError(reply: FastifyReply, err: GatewayError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  // OpenAI's clients retry 408, 409, 429 and 5xx on their own, without an Idempotency-Key: a
  // blind retry of a request that ran (or still runs) would start and pay for a second cascade.
  reply.header('x-should-retry', err.retryable ? 'true' : 'false');
  return reply.status(err.status).type('application/json').send(err.body());
}

/**
 * A whole HTTP/1.1 response carrying the error, for a socket Fastify never got a request from
 * (Node's `clientError`): closes the connection.
 */
export function rawErrorResponse(err: GatewayError): string {
  const body = JSON.stringify(err.body());
  return (
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n` +
    `Content-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `x-should-retry: false\r\n` +
    `Connection: close\r\n\r\n${body}`
  );
}

/** What llhttp's parse errors mean, for a person reading the 400. */
const HTTP_PARSE_ERRORS: Record<string, string> = {
  HPE_INVALID_HEADER_TOKEN:
    'a header name or value holds a character HTTP does not allow (CR, LF, NUL or another control character)',
  HPE_LF_EXPECTED: 'a header line is not ended by CRLF (a bare CR or LF inside a header?)',
  HPE_CR_EXPECTED: 'a line is not ended by CRLF',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Content-Length and Transfer-Encoding together (send one of them)',
  HPE_INVALID_CONTENT_LENGTH: 'an invalid or repeated Content-Length',
  HPE_INVALID_TRANSFER_ENCODING: 'an invalid Transfer-Encoding (only chunked, last)',
  HPE_INVALID_CHUNK_SIZE: 'an invalid chunk size in a chunked body',
  HPE_INVALID_METHOD: 'an invalid method',
  HPE_INVALID_URL: 'an invalid request target',
  HPE_INVALID_VERSION: 'an invalid HTTP version',
  HPE_INVALID_CONSTANT: 'a malformed request line',
};

/** The error Node's HTTP server reports on a connection (`clientError`), as an OpenAI error. */
export function fromClientError(
  err: NodeJS.ErrnoException & { reason?: string },
  bodyTimeoutMs: number,
): GatewayError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new GatewayError(
      408,
      `the request (headers and body) did not arrive within ${bodyTimeoutMs} ms; the connection is closed`,
      'invalid_request_error',
      'request_timeout',
    );
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return new GatewayError(
      431,
      'the request headers are too large (16 KiB in all at most)',
      'invalid_request_error',
      'request_headers_too_large',
    );
  }
  const what = (err.code && HTTP_PARSE_ERRORS[err.code]) ?? err.reason ?? err.message;
  return new GatewayError(
    400,
    `malformed HTTP request: ${what}`,
    'invalid_request_error',
    'malformed_request',
  );
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
    // Outside a completion's start (cancel): the call may have reached Temporal; not retryable
    // blindly (a completion handles its own, src/doors/gateway/completions.ts).
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

/**
 * Anthropic's error types (the Messages API's `error.type`). The door at /v1/messages answers in
 * Anthropic's shape so that the Anthropic SDKs raise their own error classes (BadRequestError,
 * AuthenticationError, ...), which they choose by status; the type says the same in words.
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/** The status keeps its meaning; Anthropic's docs use invalid_request_error for other 4xx. */
export function anthropicErrorType(status: number): AnthropicErrorType {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

export function anthropicErrorBody(err: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } };
}

/** As sendError, in Anthropic's shape: the same status, headers and x-should-retry. */
export function sendAnthropicError(reply: FastifyReply, err: GatewayError): FastifyReply {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  // The Anthropic SDKs obey x-should-retry too, and retry 408, 409, 429 and 5xx without it.
  reply.header('x-should-retry', err.retryable ? 'true' : 'false');
  return reply.status(err.status).type('application/json').send(anthropicErrorBody(err));
}
