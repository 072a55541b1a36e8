/**
 * The Anthropic client's failures through the shared classification (classify.ts): errors built
 * exactly as @anthropic-ai/sdk builds them from Anthropic-shaped responses, the base-URL rule,
 * and the recorded server's translation of a Messages request into its lookup form.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import {
  type FailureContext,
  classifyFailure,
  isAbortError,
} from '../../src/request/providers/failure-class';
import { anthropicBaseUrl, AnthropicProvider } from '../../src/request/providers/anthropic';
import { createProvider } from '../../src/request/providers/registry';
import { ProviderError } from '../../src/request/providers/types';
import { modelSchema } from '../../src/request/config/schema';
import { messagesRequestSchema, toChatRequest } from '../../src/tools/recorded-models/anthropic-route';
import { promptKey } from '../../src/tools/recorded-models/dataset';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const KEY = 'sk-ant-api03-0123456789abcdefSECRET';
const ctx: FailureContext = { modelId: 'haiku', latencyMs: 7, nowMs: NOW, secrets: [KEY] };

/** An error exactly as the Anthropic SDK builds it from an HTTP response. */
function httpError(status: number, type: string, message: string, headers: Record<string, string> = {}) {
  return APIError.generate(
    status,
    { type: 'error', error: { type, message } },
    undefined,
    new Headers(headers),
  );
}

describe('Anthropic errors through the shared classification', () => {
  it.each([
    [400, 'invalid_request_error', 'max_tokens: Field required', 'bad_request', false],
    [
      400,
      'invalid_request_error',
      'prompt is too long: 210000 tokens > 200000 maximum',
      'context_length',
      false,
    ],
    [401, 'authentication_error', 'invalid x-api-key', 'config_error', false],
    [
      403,
      'permission_error',
      'Your API key does not have permission to use the specified resource.',
      'config_error',
      false,
    ],
    [404, 'not_found_error', 'model: claude-nonexistent', 'not_found', false],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', 'bad_request', false],
    [
      429,
      'rate_limit_error',
      'Number of request tokens has exceeded your per-minute rate limit',
      'rate_limited',
      true,
    ],
    [500, 'api_error', 'Internal server error', 'server_error', true],
    [529, 'overloaded_error', 'Overloaded', 'server_error', true],
  ] as const)('%i %s -> %s', (status, type, message, errorClass, retryable) => {
    const d = classifyFailure(httpError(status, type, message), ctx);
    expect(d).toMatchObject({ errorClass, retryable, status });
    // The body's own message and type are read (not the SDK's "529 {json}" rendering).
    expect(d.message).toContain(`${message} (code ${type})`);
    expect(d.message).not.toContain('{"type"');
  });

  it('honours Retry-After on a 429 and on a 529 overloaded', () => {
    expect(
      classifyFailure(httpError(429, 'rate_limit_error', 'slow down', { 'retry-after': '7' }), ctx),
    ).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 7000 });
    const overloaded = classifyFailure(
      httpError(529, 'overloaded_error', 'Overloaded', { 'retry-after': '3' }),
      ctx,
    );
    expect(overloaded).toMatchObject({ errorClass: 'server_error', status: 529, retryAfterMs: 3000 });
    expect(overloaded.message).toContain('retry after 3000 ms');
  });

  it('reads a raw Anthropic error body the provider captured (not through the SDK)', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'too many' } });
    const d = classifyFailure(new Error('429 status code'), {
      ...ctx,
      responseStatus: 429,
      responseBody: body,
      responseHeaders: { 'retry-after': '2' },
    });
    expect(d).toMatchObject({ errorClass: 'rate_limited', retryAfterMs: 2000 });
    expect(d.message).toContain('too many (code rate_limit_error)');
  });

  it('maps the SDK transport errors: timeout, connection, abort', () => {
    expect(classifyFailure(new APIConnectionTimeoutError(), ctx).errorClass).toBe('timeout');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(
      classifyFailure(new APIConnectionError({ message: 'Connection error.', cause: refused }), ctx),
    ).toMatchObject({ errorClass: 'connection', retryable: true });
    expect(isAbortError(new APIUserAbortError())).toBe(true);
  });

  it('never puts the key in a message', () => {
    const d = classifyFailure(httpError(401, 'authentication_error', `invalid x-api-key ${KEY}`), ctx);
    expect(d.message).not.toContain(KEY);
    expect(d.message).toContain('[redacted]');
  });
});

describe('AnthropicProvider setup', () => {
  it('takes the API root as base URL, with or without /v1', () => {
    expect(anthropicBaseUrl('https://api.anthropic.com')).toBe('https://api.anthropic.com');
    expect(anthropicBaseUrl('https://api.anthropic.com/v1')).toBe('https://api.anthropic.com');
    expect(anthropicBaseUrl('http://127.0.0.1:8788/v1/')).toBe('http://127.0.0.1:8788');
    expect(anthropicBaseUrl('https://proxy.example/anthropic')).toBe('https://proxy.example/anthropic');
  });

  it('the registry builds it for provider: anthropic, and a missing key is a config_error naming the variable', async () => {
    const config = modelSchema.parse({
      provider: 'anthropic',
      baseUrl: 'https://api.anthropic.com',
      model: 'claude-haiku-4-5',
      apiKeyEnv: 'ANTHROPIC_TEST_KEY_UNSET',
      logprobs: false,
      pricing: { inputPerMTok: 1, outputPerMTok: 5 },
    });
    expect(new AnthropicProvider('haiku', config)).toBeInstanceOf(AnthropicProvider);
    const err = await createProvider('haiku', config, {})
      .call({ messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).details).toMatchObject({ errorClass: 'config_error', retryable: false });
    expect((err as ProviderError).message).toContain('ANTHROPIC_TEST_KEY_UNSET');
  });
});

describe('the recorded server reads a Messages request as its lookup form', () => {
  it('system (string or text blocks) becomes the system message; the key is sha256(system + last user)', () => {
    const body = messagesRequestSchema.parse({
      model: 'm',
      max_tokens: 16,
      system: [
        { type: 'text', text: 'Be ' },
        { type: 'text', text: 'brief.' },
      ],
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'text', text: 'Question?' }] },
      ],
    });
    const chat = toChatRequest(body);
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'Question?' },
    ]);
    expect(chat.logprobs).toBe(false);
    expect(promptKey('Be brief.', 'Question?')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses what the Messages API refuses: no max_tokens, a system role in messages, streaming', () => {
    const base = { model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] };
    expect(messagesRequestSchema.safeParse(base).success).toBe(true);
    expect(messagesRequestSchema.safeParse({ ...base, max_tokens: undefined }).success).toBe(false);
    expect(
      messagesRequestSchema.safeParse({ ...base, messages: [{ role: 'system', content: 'x' }] }).success,
    ).toBe(false);
    expect(messagesRequestSchema.safeParse({ ...base, stream: true }).success).toBe(false);
  });
});
