/**
 * The Anthropic provider over real HTTP against the recorded-model server's `POST /v1/messages`
 * (recorded outputs, here of the synthetic MMLU set; faults injected per request by header or
 * admin script), plus a tiny node:http endpoint for what the recorded server cannot produce (401,
 * context length, the key on the wire). Also the route's own Anthropic-shaped errors, seen with plain fetch.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelSchema, type ModelConfig } from '../../src/request/config/schema';
import { AnthropicProvider, DEFAULT_MAX_TOKENS } from '../../src/request/providers/anthropic';
import { createProvider } from '../../src/request/providers/registry';
import {
  type ModelCallRequest,
  ProviderError,
  type ProviderErrorDetails,
} from '../../src/request/providers/types';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { shippedData } from '../helpers/data';

const DATA_FILE = shippedData('synthetic', 'mmlu_llama.jsonl');
const MODEL = 'llama3.2-1b';

interface RecordedRow {
  system: string;
  prompt: string;
  models: Record<string, { answer: string; cost_usd: number; tokens: { in: number; out: number } }>;
}
const row = JSON.parse(readFileSync(DATA_FILE, 'utf8').split('\n')[0] ?? '') as RecordedRow;
const recorded = row.models[MODEL]!;

function modelConfig(baseUrl: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return modelSchema.parse({
    provider: 'anthropic',
    baseUrl,
    model: MODEL,
    // The synthetic rows price llama3.2-1b at its list price, $0.10 per million tokens, both ways.
    pricing: { inputPerMTok: 0.1, outputPerMTok: 0.1 },
    timeoutMs: 10_000,
    logprobs: false,
    ...overrides,
  });
}

const question: ModelCallRequest = {
  messages: [
    { role: 'system', content: row.system },
    { role: 'user', content: row.prompt },
  ],
  temperature: 0,
};
const withFault = (fault: string, extra: Record<string, string> = {}): ModelCallRequest => ({
  ...question,
  headers: { 'x-recorded-fault': fault, ...extra },
});

async function failure(p: Promise<unknown>): Promise<ProviderErrorDetails> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return (err as ProviderError).details;
}

describe('AnthropicProvider against the recorded-model server', () => {
  let server: RecordedServer;
  let provider: AnthropicProvider;
  const sent: { url: string; headers: Headers; body: Record<string, unknown> }[] = [];
  const spyFetch: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    sent.push({
      url: String(input instanceof Request ? input.url : input),
      headers: new Headers(init?.headers),
      body,
    });
    return fetch(input, init);
  };

  beforeAll(async () => {
    server = await startRecordedServer({ dataFiles: [DATA_FILE], latencyScale: 0, timeoutHangMs: 5_000 });
    // The OpenAI-style base URL (with /v1) is accepted too.
    provider = new AnthropicProvider('small', modelConfig(server.baseUrl), { fetch: spyFetch });
  });
  afterAll(async () => server?.close());

  it('serves the recorded answer, usage and cost; no logprobs', async () => {
    const result = await provider.call(question);
    expect(result).toMatchObject({
      modelId: 'small',
      answer: recorded.answer,
      finishReason: 'end_turn',
      logprobs: null,
      usage: { tokensIn: recorded.tokens.in, tokensOut: recorded.tokens.out },
      derivedFields: [],
    });
    expect(result.costUsd).toBeCloseTo((recorded.tokens.in * 0.1 + recorded.tokens.out * 0.1) / 1e6, 15);
    expect(result.costUsd).toBeCloseTo(recorded.cost_usd, 15);
  });

  it('sends a Messages request: system field, default max_tokens, temperature, output_config', async () => {
    sent.length = 0;
    await provider.call({
      ...question,
      logprobs: true,
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'string' } },
    });
    const { url, headers, body } = sent[0]!;
    expect(url).toBe(`${server.url}/v1/messages`);
    expect(headers.get('anthropic-version')).toBeTruthy();
    expect(body).toMatchObject({
      model: MODEL,
      max_tokens: DEFAULT_MAX_TOKENS,
      system: row.system,
      messages: [{ role: 'user', content: row.prompt }],
      temperature: 0,
      output_config: { format: { type: 'json_schema', schema: { type: 'string' } } },
    });
    expect(body).not.toHaveProperty('logprobs');
    await provider.call({ ...question, maxTokens: 5 });
    expect(sent[1]!.body.max_tokens).toBe(5);
  });

  it('429 is rate_limited with the Retry-After the endpoint sent', async () => {
    const d = await failure(provider.call(withFault('429', { 'x-recorded-retry-after': '2' })));
    expect(d).toMatchObject({ errorClass: 'rate_limited', retryable: true, status: 429, retryAfterMs: 2000 });
    expect(d.message).toContain('(code rate_limit_error)');
    expect(d.message).toContain('retry after 2000 ms');
  });

  it('500 api_error and 529 overloaded are server_error, retryable', async () => {
    expect(await failure(provider.call(withFault('500')))).toMatchObject({
      errorClass: 'server_error',
      retryable: true,
      status: 500,
    });
    const overloaded = await failure(provider.call(withFault('529')));
    expect(overloaded).toMatchObject({ errorClass: 'server_error', retryable: true, status: 529 });
    expect(overloaded.message).toContain('Overloaded (injected fault) (code overloaded_error)');
  });

  it('a hung request is a timeout at timeoutMs; a reset is connection', async () => {
    const quick = new AnthropicProvider('small', modelConfig(server.url, { timeoutMs: 300 }));
    expect(await failure(quick.call(withFault('timeout')))).toMatchObject({
      errorClass: 'timeout',
      retryable: true,
    });
    expect(await failure(provider.call(withFault('reset')))).toMatchObject({
      errorClass: 'connection',
      retryable: true,
    });
  });

  it('a truncated body and a message without text are malformed_response', async () => {
    expect(await failure(provider.call(withFault('malformed')))).toMatchObject({
      errorClass: 'malformed_response',
      retryable: true,
      status: 200,
    });
    const empty = await failure(provider.call(withFault('empty')));
    expect(empty).toMatchObject({ errorClass: 'malformed_response', status: 200 });
    expect(empty.message).toContain('no text content block');
  });

  it('an admin fault script applies to the Messages route too', async () => {
    const res = await fetch(`${server.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, sequence: ['429', 'ok'] }),
    });
    expect(res.status).toBe(200);
    expect((await failure(provider.call(question))).errorClass).toBe('rate_limited');
    expect((await provider.call(question)).answer).toBe(recorded.answer);
  });

  it('unknown model and unknown prompt are not_found; no user message is bad_request', async () => {
    const other = new AnthropicProvider('x', modelConfig(server.url, { model: 'claude-not-recorded' }));
    const model = await failure(other.call(question));
    expect(model).toMatchObject({ errorClass: 'not_found', retryable: false, status: 404 });
    expect(model.message).toContain('(code not_found_error)');
    const prompt = await failure(
      provider.call({ messages: [{ role: 'user', content: 'a prompt nobody recorded' }] }),
    );
    expect(prompt).toMatchObject({ errorClass: 'not_found', status: 404 });
    const noUser = await failure(provider.call({ messages: [{ role: 'assistant', content: 'hello' }] }));
    expect(noUser).toMatchObject({ errorClass: 'bad_request', retryable: false, status: 400 });
  });

  it('a closed port is a connection failure', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = new AnthropicProvider('small', modelConfig(`http://127.0.0.1:${port}`));
    expect(await failure(closed.call(question))).toMatchObject({ errorClass: 'connection', status: null });
  });
});

describe('the Messages route answers in Anthropic shapes', () => {
  let server: RecordedServer;
  beforeAll(async () => {
    server = await startRecordedServer({ dataFiles: [DATA_FILE], latencyScale: 0 });
  });
  afterAll(async () => server?.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const ask = {
    model: MODEL,
    max_tokens: 8,
    system: row.system,
    messages: [{ role: 'user', content: row.prompt }],
  };

  it('a message: id, type, role, text content, model, stop_reason, usage', async () => {
    const res = await post(ask);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: recorded.answer }],
      model: MODEL,
      stop_reason: 'end_turn',
      usage: { input_tokens: recorded.tokens.in, output_tokens: recorded.tokens.out },
    });
    expect(body.id).toMatch(/^msg_/);
    expect(body).not.toHaveProperty('logprobs');
  });

  it.each([
    ['unknown model', { ...ask, model: 'claude-not-recorded' }, 404, 'not_found_error', /not recorded/],
    ['unknown prompt', { ...ask, system: 'another system' }, 404, 'not_found_error', /no recorded reply/],
    [
      'missing max_tokens',
      { ...ask, max_tokens: undefined },
      400,
      'invalid_request_error',
      /^max_tokens: Field required$/,
    ],
    [
      'a system role in messages',
      { ...ask, messages: [{ role: 'system', content: 'x' }] },
      400,
      'invalid_request_error',
      /^messages\.0\.role:/,
    ],
    ['streaming', { ...ask, stream: true }, 400, 'invalid_request_error', /streaming is not supported/],
    ['unparseable JSON', '{"model": ', 400, 'invalid_request_error', /JSON/],
  ])('%s', async (_name, body, status, type, message) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(json.type).toBe('error');
    expect(json.error.type).toBe(type);
    expect(json.error.message).toMatch(message);
  });

  it('injected 429 carries retry-after and a rate_limit_error; 529 an overloaded_error', async () => {
    const limited = await post(ask, { 'x-recorded-fault': '429', 'x-recorded-retry-after': '4' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('4');
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    const overloaded = await post(ask, { 'x-recorded-fault': '529' });
    expect(overloaded.status).toBe(529);
    expect(await overloaded.json()).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    const bad = await post(ask, { 'x-recorded-fault': 'nope' });
    expect(bad.status).toBe(400);
  });

  it('counts its requests in recorded_requests_total', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      new RegExp(`recorded_requests_total\\{model="${MODEL.replace('.', '\\.')}",status="529"\\} 1`),
    );
  });
});

describe('AnthropicProvider against a hand-written endpoint', () => {
  const KEY = 'sk-ant-api03-e2e-0123456789SECRET';
  let endpoint: http.Server;
  let baseUrl: string;
  const seenKeys: (string | undefined)[] = [];
  const replies: { status: number; body: unknown }[] = [];

  beforeAll(async () => {
    endpoint = http.createServer((req, res) => {
      // SDK 1.x sends the key as a bearer token (older releases used x-api-key).
      const auth = req.headers.authorization;
      seenKeys.push((req.headers['x-api-key'] as string | undefined) ?? auth?.replace(/^Bearer /, ''));
      req.resume();
      req.on('end', () => {
        const next = replies.shift() ?? { status: 500, body: {} };
        res.writeHead(next.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(next.body));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => endpoint.close(() => resolve())));

  const anthropicProvider = () =>
    createProvider('claude', modelConfig(baseUrl, { apiKeyEnv: 'E2E_ANTHROPIC_KEY' }), {
      E2E_ANTHROPIC_KEY: KEY,
    });

  it('sends the key from the named variable; a 401 is config_error without the key in the message', async () => {
    replies.push({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key ${KEY}` } },
    });
    const d = await failure(anthropicProvider().call(question));
    expect(seenKeys.at(-1)).toBe(KEY);
    expect(d).toMatchObject({ errorClass: 'config_error', retryable: false, status: 401 });
    expect(d.message).not.toContain(KEY);
  });

  it('a prompt that does not fit is context_length', async () => {
    replies.push({
      status: 400,
      body: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: 'prompt is too long: 210000 tokens > 200000 maximum',
        },
      },
    });
    expect(await failure(anthropicProvider().call(question))).toMatchObject({
      errorClass: 'context_length',
      retryable: false,
    });
  });

  it('reports cache tokens as input and missing usage as derived', async () => {
    replies.push({
      status: 200,
      body: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: MODEL,
        content: [
          { type: 'text', text: 'B' },
          { type: 'text', text: '!' },
        ],
        stop_reason: 'max_tokens',
        usage: {
          input_tokens: 10,
          cache_read_input_tokens: 5,
          cache_creation_input_tokens: 0,
          output_tokens: 2,
        },
      },
    });
    const result = await anthropicProvider().call(question);
    expect(result).toMatchObject({
      answer: 'B!',
      finishReason: 'max_tokens',
      usage: { tokensIn: 15, tokensOut: 2 },
    });
    replies.push({
      status: 200,
      body: {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: 'C' }],
        stop_reason: 'end_turn',
      },
    });
    const unbilled = await anthropicProvider().call(question);
    expect(unbilled).toMatchObject({ answer: 'C', usage: { tokensIn: 0, tokensOut: 0 }, costUsd: 0 });
    expect(unbilled.derivedFields).toEqual(['usage']);
  });
});
