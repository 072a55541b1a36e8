import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import {
  MalformedResponseError,
  classifyFailure,
  classifyStatus,
  displayEndpoint,
  isContextLengthError,
  redactSecrets,
  type FailureContext,
} from '../../src/request/providers/failure-class';
import { costUsd } from '../../src/request/providers/cost';
import { createProvider, providerFor } from '../../src/request/providers/registry';
import {
  parseRetryAfterHeader,
  parseRetryAfterMs,
  retryAfterMs,
} from '../../src/request/providers/retry-after';
import { ProviderError } from '../../src/request/providers/types';
import { type CascadeConfig, modelSchema, type ModelConfig } from '../../src/request/config/schema';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const KEY = 'sk-test-0123456789abcdefSECRET';
const ctx: FailureContext = { modelId: 'small', latencyMs: 12, nowMs: NOW, secrets: [KEY] };

/** An error exactly as the openai SDK builds it from an HTTP response. */
function httpError(status: number, body: unknown, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, body as object, undefined, new Headers(headers));
}

function openAiBody(message: string, code: string | null = null, type = 'invalid_request_error') {
  return { error: { message, type, param: null, code } };
}

describe('classifyStatus', () => {
  it.each([
    [429, 'rate_limited'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [504, 'server_error'],
    [408, 'timeout'],
    [400, 'bad_request'],
    [422, 'bad_request'],
    [409, 'bad_request'],
    [404, 'not_found'],
    [401, 'config_error'],
    [403, 'config_error'],
  ] as const)('HTTP %i -> %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });

  it('reads context-length signals on 400 and 422 only', () => {
    expect(classifyStatus(400, 'context_length_exceeded', 'whatever')).toBe('context_length');
    expect(classifyStatus(422, null, 'too many tokens in prompt')).toBe('context_length');
    expect(classifyStatus(404, 'context_length_exceeded', '')).toBe('not_found');
  });
});

describe('isContextLengthError', () => {
  it.each([
    ['context_length_exceeded', 'x'],
    [null, "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens."],
    [null, 'the request exceeds the available context size, try increasing it'],
    [null, 'Input validation error: too many tokens'],
    [null, 'prompt is too long: 210000 tokens > 200000 maximum'],
    [null, 'Your input exceeds the context window of this model.'],
  ])('detects code=%s message=%s', (code, message) => {
    expect(isContextLengthError(code, message)).toBe(true);
  });

  it('does not flag other bad requests', () => {
    expect(isContextLengthError('invalid_value', "'temperature' must be at most 2")).toBe(false);
    expect(isContextLengthError(null, null)).toBe(false);
  });
});

describe('retry-after parsing', () => {
  it('reads delay-seconds, fractional seconds and retry-after-ms', () => {
    expect(parseRetryAfterHeader('2', NOW)).toBe(2000);
    expect(parseRetryAfterHeader(' 0.5 ', NOW)).toBe(500);
    expect(parseRetryAfterHeader('0', NOW)).toBe(0);
    expect(parseRetryAfterMs('1500')).toBe(1500);
    expect(parseRetryAfterMs('20.2')).toBe(21);
  });

  it('reads an HTTP-date relative to the given now, a past date as 0', () => {
    expect(parseRetryAfterHeader('Wed, 01 Jan 2025 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfterHeader('Tue, 31 Dec 2024 23:59:00 GMT', NOW)).toBe(0);
    // The obsolete RFC 850 form is still an HTTP-date.
    expect(parseRetryAfterHeader('Wednesday, 01-Jan-25 00:00:10 GMT', NOW)).toBe(10_000);
  });

  it.each([
    '',
    'soon',
    '-1',
    '1e3',
    '0x10',
    '1 2',
    'NaN',
    'Infinity',
    'Mon, 99 Foo 2025 99:99:99 GMT',
    'in 5 seconds',
  ])('garbage %j -> null', (value) => {
    expect(parseRetryAfterHeader(value, NOW)).toBeNull();
    expect(parseRetryAfterMs(value)).toBeNull();
  });

  it('prefers a valid retry-after-ms and falls back to retry-after when it is garbage', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }), NOW)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': 'x', 'retry-after': '3' }), NOW)).toBe(3000);
    expect(retryAfterMs({ 'Retry-After': '4' }, NOW)).toBe(4000);
    expect(retryAfterMs({ 'retry-after': ['5', '6'] }, NOW)).toBe(5000);
    expect(retryAfterMs(undefined, NOW)).toBeNull();
    expect(retryAfterMs(new Headers(), NOW)).toBeNull();
  });
});

describe('classifyFailure: HTTP errors from the openai SDK', () => {
  it('429 -> rate_limited, retryable, with Retry-After', () => {
    const d = classifyFailure(
      httpError(429, openAiBody('Rate limit reached', 'rate_limit_exceeded', 'requests'), {
        'retry-after': '7',
      }),
      ctx,
    );
    expect(d).toMatchObject({ errorClass: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
    expect(d.latencyMs).toBe(12);
    expect(d.message).toContain('model "small"');
    expect(d.message).toContain('Rate limit reached');
  });

  it('429 without Retry-After -> retryAfterMs null', () => {
    expect(classifyFailure(httpError(429, openAiBody('slow down')), ctx).retryAfterMs).toBeNull();
  });

  it('5xx -> server_error, honouring an HTTP-date Retry-After', () => {
    const d = classifyFailure(
      httpError(503, openAiBody('overloaded'), { 'retry-after': 'Wed, 01 Jan 2025 00:00:05 GMT' }),
      ctx,
    );
    expect(d).toMatchObject({ errorClass: 'server_error', retryable: true, status: 503, retryAfterMs: 5000 });
  });

  it('a 500 with an HTML body keeps a short, one-line excerpt', () => {
    const d = classifyFailure(httpError(500, undefined), {
      ...ctx,
      responseBody: `<html>\n<body>${'x'.repeat(2000)}</body></html>`,
    });
    expect(d.errorClass).toBe('server_error');
    expect(d.message).not.toContain('\n');
    expect(d.message.length).toBeLessThan(500);
  });

  it('408 -> timeout', () => {
    expect(classifyFailure(httpError(408, openAiBody('request timeout')), ctx)).toMatchObject({
      errorClass: 'timeout',
      retryable: true,
      status: 408,
    });
  });

  it('400 context_length_exceeded -> context_length, not retryable', () => {
    const d = classifyFailure(
      httpError(
        400,
        openAiBody("This model's maximum context length is 8192 tokens.", 'context_length_exceeded'),
      ),
      ctx,
    );
    expect(d).toMatchObject({
      errorClass: 'context_length',
      retryable: false,
      status: 400,
      retryAfterMs: null,
    });
  });

  it("vLLM's top-level error body (lost by the SDK) is read from the captured raw body", () => {
    const raw = JSON.stringify({
      object: 'error',
      message: "This model's maximum context length is 4096 tokens. However, you requested 9000 tokens.",
      type: 'BadRequestError',
      param: null,
      code: 400,
    });
    const d = classifyFailure(httpError(400, JSON.parse(raw)), { ...ctx, responseBody: raw });
    expect(d.errorClass).toBe('context_length');
    expect(d.message).toContain('maximum context length is 4096');
  });

  it("Ollama's string error body is kept", () => {
    const d = classifyFailure(
      httpError(404, { error: 'model "llama9" not found, try pulling it first' }),
      ctx,
    );
    expect(d).toMatchObject({ errorClass: 'not_found', retryable: false });
    expect(d.message).toContain('llama9');
  });

  it('other 400 / 422 -> bad_request', () => {
    expect(classifyFailure(httpError(400, openAiBody("'temperature' too high")), ctx).errorClass).toBe(
      'bad_request',
    );
    expect(classifyFailure(httpError(422, { detail: 'unprocessable' }), ctx).errorClass).toBe('bad_request');
  });

  it('404 -> not_found, not retryable, with its code', () => {
    const d = classifyFailure(httpError(404, openAiBody('no such prompt', 'recorded_not_found')), ctx);
    expect(d).toMatchObject({ errorClass: 'not_found', retryable: false, status: 404 });
    expect(d.message).toContain('recorded_not_found');
  });

  it.each([401, 403])('%i -> config_error, not retryable', (status) => {
    expect(classifyFailure(httpError(status, openAiBody('Incorrect API key')), ctx)).toMatchObject({
      errorClass: 'config_error',
      retryable: false,
      status,
    });
  });
});

describe('classifyFailure: transport failures', () => {
  it('the SDK connection timeout -> timeout', () => {
    expect(classifyFailure(new APIConnectionTimeoutError(), ctx)).toMatchObject({
      errorClass: 'timeout',
      retryable: true,
      status: null,
    });
  });

  it('our own deadline firing -> timeout, whatever the SDK threw', () => {
    const d = classifyFailure(new APIUserAbortError(), { ...ctx, timedOut: true, timeoutMs: 300 });
    expect(d).toMatchObject({ errorClass: 'timeout', retryable: true });
    expect(d.message).toContain('300 ms');
  });

  it('an AbortSignal.timeout abort -> timeout', () => {
    const err = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(classifyFailure(err, ctx).errorClass).toBe('timeout');
  });

  it.each([
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['socket hang up', new Error('socket hang up')],
    [
      'undici "terminated" while reading the body',
      new TypeError('terminated', {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
    ],
    [
      "the SDK's APIConnectionError",
      new APIConnectionError({
        message: 'Connection error.',
        cause: new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        }),
      }),
    ],
  ])('%s -> connection, retryable', (_name, err) => {
    expect(classifyFailure(err, ctx)).toMatchObject({
      errorClass: 'connection',
      retryable: true,
      status: null,
    });
  });

  it('a port fetch refuses to use (WHATWG bad port) -> config_error', () => {
    const err = new APIConnectionError({
      message: 'Connection error.',
      cause: new TypeError('fetch failed', { cause: new Error('bad port') }),
    });
    expect(classifyFailure(err, ctx)).toMatchObject({ errorClass: 'config_error', retryable: false });
  });

  it('a connection error names the cause chain', () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyFailure(err, ctx).message).toContain('ECONNREFUSED');
  });
});

describe('classifyFailure: malformed 2xx bodies', () => {
  it('JSON that does not parse -> malformed_response with the response status', () => {
    let syntaxError: unknown;
    try {
      JSON.parse('{"choices":[{"mess');
    } catch (e) {
      syntaxError = e;
    }
    expect(classifyFailure(syntaxError, { ...ctx, responseStatus: 200 })).toMatchObject({
      errorClass: 'malformed_response',
      retryable: true,
      status: 200,
    });
  });

  it('a shape error carries the tokens and cost the body still billed', () => {
    const err = new MalformedResponseError('response has no choices', 200, {
      tokensIn: 10,
      tokensOut: 2,
      costUsd: 0.001,
    });
    expect(classifyFailure(err, ctx)).toMatchObject({
      errorClass: 'malformed_response',
      status: 200,
      tokensIn: 10,
      tokensOut: 2,
      costUsd: 0.001,
    });
  });
});

describe('secrets never reach a message', () => {
  it('redacts the key, bearer tokens and key-shaped strings an endpoint echoes back', () => {
    const echoed = `Incorrect API key provided: ${KEY}. Header was "Authorization: Bearer ${KEY}", api_key=${KEY}`;
    for (const status of [400, 401, 403, 404, 429, 500]) {
      const d = classifyFailure(httpError(status, openAiBody(echoed)), ctx);
      expect(d.message).not.toContain(KEY);
      expect(d.message).not.toContain('0123456789abcdef');
    }
    // Also without being told the key: anything shaped like one is dropped.
    const untold = classifyFailure(httpError(401, openAiBody(echoed)), { ...ctx, secrets: [] });
    expect(untold.message).not.toContain('0123456789abcdef');
  });

  it('redacts in transport errors and raw bodies too', () => {
    const err = new Error(`request to https://x/?key=${KEY} failed`);
    expect(classifyFailure(err, ctx).message).not.toContain(KEY);
    const raw = classifyFailure(httpError(400, undefined), {
      ...ctx,
      responseBody: `{"detail":"bad key ${KEY}"}`,
    });
    expect(raw.message).not.toContain(KEY);
  });

  it('shows an endpoint without its userinfo or query', () => {
    expect(displayEndpoint('https://user:pw@api.example.com/v1/?token=abc')).toBe(
      'https://api.example.com/v1',
    );
    const d = classifyFailure(httpError(500, openAiBody('boom')), {
      ...ctx,
      baseUrl: 'https://user:hunter2hunter2@api.example.com/v1?api_key=zzz',
    });
    expect(d.message).toContain('https://api.example.com/v1');
    expect(d.message).not.toContain('hunter2');
    expect(d.message).not.toContain('zzz');
  });

  it('redactSecrets ignores placeholder-length values', () => {
    expect(redactSecrets('the value was unused', ['unused'])).toBe('the value was unused');
  });
});

describe('costUsd', () => {
  it('prices input and output tokens per million', () => {
    expect(
      costUsd({ tokensIn: 1_000_000, tokensOut: 0 }, { inputPerMTok: 0.15, outputPerMTok: 0.6 }),
    ).toBeCloseTo(0.15, 12);
    expect(costUsd({ tokensIn: 132, tokensOut: 1 }, { inputPerMTok: 0.1, outputPerMTok: 0.1 })).toBeCloseTo(
      1.33e-5,
      15,
    );
    expect(costUsd({ tokensIn: 0, tokensOut: 0 }, { inputPerMTok: 5, outputPerMTok: 15 })).toBe(0);
  });
});

describe('registry', () => {
  const model: ModelConfig = modelSchema.parse({
    provider: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKeyEnv: 'CASCADE_TEST_MISSING_KEY',
    pricing: { inputPerMTok: 1, outputPerMTok: 2 },
    timeoutMs: 1000,
    concurrency: 1,
    logprobs: true,
  });

  it('a missing key fails the first call with config_error naming the variable, not a value', async () => {
    const provider = createProvider('big', model, { OTHER: 'x' });
    const err = await provider.call({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).details).toMatchObject({ errorClass: 'config_error', retryable: false });
    expect((err as ProviderError).message).toContain('CASCADE_TEST_MISSING_KEY');
    expect((err as ProviderError).message).toContain('"big"');
  });

  it('providerFor names the known models for an unknown id', () => {
    const config = { models: { small: model, big: model }, tasks: {} } as unknown as CascadeConfig;
    expect(() => providerFor('medium', config, {})).toThrow(/unknown model id "medium".*"big", "small"/);
    expect(() => providerFor('constructor', config, {})).toThrow(/unknown model id/);
    expect(providerFor('small', config, { CASCADE_TEST_MISSING_KEY: 'k' })).toBeDefined();
  });
});
