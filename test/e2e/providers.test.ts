/**
 * The OpenAI-compatible provider over real HTTP: against the recorded-model server (real outputs of
 * real models, faults injected per request by header), and against a tiny node:http endpoint for
 * the statuses the recorded server cannot produce (401/403, context length, foreign error shapes).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelSchema, type ModelConfig } from '../../src/request/config/schema';
import { isAbortError } from '../../src/request/providers/failure-class';
import { OpenAICompatibleProvider } from '../../src/request/providers/openai-compatible';
import { createProvider } from '../../src/request/providers/registry';
import {
  type ModelCallRequest,
  ProviderError,
  type ProviderErrorDetails,
} from '../../src/request/providers/types';
import { startRecordedServer } from '../../src/tools/recorded-models/server';
import { shippedData } from '../helpers/data';

const DATA_FILE = shippedData('synthetic', 'mmlu_llama.jsonl');
const MODEL = 'llama3.2-1b';

interface RecordedRow {
  system: string;
  prompt: string;
  models: Record<
    string,
    { answer: string; raw_confidence: number; cost_usd: number; tokens: { in: number; out: number } }
  >;
}
const row = JSON.parse(readFileSync(DATA_FILE, 'utf8').split('\n')[0] ?? '') as RecordedRow;
const recorded = row.models[MODEL]!;

function modelConfig(baseUrl: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  return modelSchema.parse({
    provider: 'openai-compatible',
    baseUrl,
    model: MODEL,
    // The synthetic rows price llama3.2-1b at its list price, $0.10 per million tokens, both ways.
    pricing: { inputPerMTok: 0.1, outputPerMTok: 0.1 },
    timeoutMs: 10_000,
    concurrency: 4,
    logprobs: true,
    ...overrides,
  });
}

const question: ModelCallRequest = {
  messages: [
    { role: 'system', content: row.system },
    { role: 'user', content: row.prompt },
  ],
  maxTokens: 1,
  temperature: 0,
  logprobs: true,
  topLogprobs: 1,
};

/** The ProviderError a call rejects with (fails the test if it resolves or throws something else). */
async function failure(p: Promise<unknown>): Promise<ProviderErrorDetails> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return (err as ProviderError).details;
}

describe('OpenAICompatibleProvider against the recorded-model server', () => {
  let server: Awaited<ReturnType<typeof startRecordedServer>>;
  let provider: OpenAICompatibleProvider;

  beforeAll(async () => {
    server = await startRecordedServer({ dataFiles: [DATA_FILE], port: 0, latencyScale: 0 });
    provider = new OpenAICompatibleProvider('small', modelConfig(server.baseUrl));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the recorded answer, usage, logprob and cost', async () => {
    const result = await provider.call(question);
    expect(result.modelId).toBe('small');
    expect(result.answer).toBe(recorded.answer);
    expect(result.usage).toEqual({ tokensIn: recorded.tokens.in, tokensOut: recorded.tokens.out });
    expect(result.logprobs).toHaveLength(1);
    expect(result.logprobs?.[0]?.token).toBe(recorded.answer);
    expect(result.logprobs?.[0]?.logprob).toBe(recorded.raw_confidence);
    expect(result.costUsd).toBeCloseTo((recorded.tokens.in * 0.1 + recorded.tokens.out * 0.1) / 1e6, 15);
    // The same prices the source used give the cost it recorded.
    expect(result.costUsd).toBeCloseTo(recorded.cost_usd, 15);
    expect(result.derivedFields).toEqual([]);
    expect(result.finishReason).not.toBeUndefined();
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('429 -> rate_limited, retryable, Retry-After from the header', async () => {
    const d = await failure(
      provider.call({ ...question, headers: { 'x-recorded-fault': '429', 'x-recorded-retry-after': '3' } }),
    );
    expect(d).toMatchObject({ errorClass: 'rate_limited', retryable: true, status: 429, retryAfterMs: 3000 });
    expect(d.tokensIn).toBe(0);
    expect(d.costUsd).toBe(0);
  });

  it('500 -> server_error, retryable', async () => {
    const d = await failure(provider.call({ ...question, headers: { 'x-recorded-fault': '500' } }));
    expect(d).toMatchObject({ errorClass: 'server_error', retryable: true, status: 500 });
  });

  it('a hung request -> timeout after the model timeoutMs', async () => {
    const impatient = new OpenAICompatibleProvider('small', modelConfig(server.baseUrl, { timeoutMs: 300 }));
    const d = await failure(impatient.call({ ...question, headers: { 'x-recorded-fault': 'timeout' } }));
    expect(d).toMatchObject({ errorClass: 'timeout', retryable: true, status: null });
    expect(d.message).toContain('300 ms');
  });

  it('a reset connection -> connection, retryable', async () => {
    const d = await failure(provider.call({ ...question, headers: { 'x-recorded-fault': 'reset' } }));
    expect(d).toMatchObject({ errorClass: 'connection', retryable: true, status: null });
  });

  it('a truncated body -> malformed_response', async () => {
    const d = await failure(provider.call({ ...question, headers: { 'x-recorded-fault': 'malformed' } }));
    expect(d).toMatchObject({ errorClass: 'malformed_response', retryable: true, status: 200 });
  });

  it('an empty choice list -> malformed_response', async () => {
    const d = await failure(provider.call({ ...question, headers: { 'x-recorded-fault': 'empty' } }));
    expect(d).toMatchObject({ errorClass: 'malformed_response', retryable: true, status: 200 });
    expect(d.message).toContain('no choices');
  });

  it('an unknown prompt -> not_found, not retryable', async () => {
    const d = await failure(
      provider.call({ ...question, messages: [{ role: 'user', content: 'a prompt nobody recorded' }] }),
    );
    expect(d).toMatchObject({ errorClass: 'not_found', retryable: false, status: 404 });
    expect(d.message).toContain('recorded_not_found');
  });

  it("a caller's abort rejects with the abort itself, not a timeout", async () => {
    const controller = new AbortController();
    // Hangs server-side; the model timeout (10 s) is far beyond the abort.
    const call = provider.call({
      ...question,
      signal: controller.signal,
      headers: { 'x-recorded-fault': 'timeout' },
    });
    setTimeout(() => controller.abort(), 50);
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).not.toBeInstanceOf(ProviderError);
    expect(isAbortError(err)).toBe(true);
  });

  it('an already-aborted signal rejects without a request', async () => {
    const err = await provider.call({ ...question, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ProviderError);
    expect(isAbortError(err)).toBe(true);
  });
});

/** What the fake endpoint saw and will answer, per request. */
interface Exchange {
  status: number;
  body: string;
  contentType?: string;
  /** Send the headers and the first half of the body, then nothing: a stalled body. */
  stall?: boolean;
}

describe('OpenAICompatibleProvider against a minimal OpenAI-style endpoint', () => {
  const KEY = 'sk-live-TOPSECRET-0123456789abcdef';
  let server: http.Server;
  let baseUrl: string;
  let next: Exchange = { status: 200, body: '{}' };
  const seen: { authorization?: string; body?: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({
          authorization: req.headers.authorization,
          body: JSON.parse(raw) as Record<string, unknown>,
        });
        res.writeHead(next.status, { 'content-type': next.contentType ?? 'application/json' });
        if (next.stall) {
          res.write(next.body.slice(0, next.body.length / 2));
          return;
        }
        // Echo the credential back, as some misbehaving proxies do, to prove messages scrub it.
        res.end(next.body.replace('$AUTH', req.headers.authorization ?? ''));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const openAiError = (
    status: number,
    message: string,
    code: string | null,
    type = 'invalid_request_error',
  ) => ({
    status,
    body: JSON.stringify({ error: { message, type, param: null, code } }),
  });
  const keyed = () =>
    createProvider('big', modelConfig(baseUrl, { apiKeyEnv: 'TEST_PROVIDER_KEY' }), {
      TEST_PROVIDER_KEY: KEY,
    });

  it.each([401, 403])('%i -> config_error, and the key sent never appears in the message', async (status) => {
    next = openAiError(
      status,
      'Incorrect API key provided: $AUTH',
      'invalid_api_key',
      'authentication_error',
    );
    const d = await failure(keyed().call(question));
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${KEY}`);
    expect(d).toMatchObject({ errorClass: 'config_error', retryable: false, status });
    expect(d.message).not.toContain(KEY);
    expect(d.message).not.toContain('TOPSECRET');
    expect(JSON.stringify(d)).not.toContain('TOPSECRET');
  });

  it('400 context_length_exceeded -> context_length', async () => {
    next = openAiError(
      400,
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens.",
      'context_length_exceeded',
    );
    const d = await failure(keyed().call(question));
    expect(d).toMatchObject({ errorClass: 'context_length', retryable: false, status: 400 });
  });

  it("400 in vLLM's older top-level shape -> context_length from its message", async () => {
    next = {
      status: 400,
      body: JSON.stringify({
        object: 'error',
        message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens.",
        type: 'BadRequestError',
        param: null,
        code: 400,
      }),
    };
    const d = await failure(keyed().call(question));
    expect(d.errorClass).toBe('context_length');
    expect(d.message).toContain('4096');
  });

  it('other 400 -> bad_request; 404 -> not_found', async () => {
    next = openAiError(400, "Invalid value for 'temperature'", 'invalid_value');
    expect(await failure(keyed().call(question))).toMatchObject({
      errorClass: 'bad_request',
      retryable: false,
    });
    next = openAiError(404, 'The model `gpt-9` does not exist', 'model_not_found');
    expect(await failure(keyed().call(question))).toMatchObject({
      errorClass: 'not_found',
      retryable: false,
    });
  });

  it('a 200 that is not JSON -> malformed_response', async () => {
    next = { status: 200, body: '<html>gateway says hi</html>', contentType: 'text/html' };
    const d = await failure(keyed().call(question));
    expect(d).toMatchObject({ errorClass: 'malformed_response', status: 200 });
  });

  it('a 200 without usage: tokens 0, flagged as derived', async () => {
    next = {
      status: 200,
      body: JSON.stringify({
        choices: [{ index: 0, message: { role: 'assistant', content: 'B' }, finish_reason: 'stop' }],
      }),
    };
    const result = await keyed().call(question);
    expect(result).toMatchObject({ answer: 'B', finishReason: 'stop', logprobs: null, costUsd: 0 });
    expect(result.usage).toEqual({ tokensIn: 0, tokensOut: 0 });
    expect(result.derivedFields).toEqual(['usage']);
  });

  it('sends the request as OpenAI expects: logprobs only when supported, json_schema, a placeholder key', async () => {
    next = {
      status: 200,
      body: JSON.stringify({
        choices: [{ message: { role: 'assistant', content: '{}' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1 },
      }),
    };
    const schema = { type: 'object', properties: {} };
    const noLogprobs = new OpenAICompatibleProvider('local', modelConfig(baseUrl, { logprobs: false }));
    await noLogprobs.call({
      ...question,
      responseFormat: { type: 'json_schema', name: 'out', schema, strict: true },
    });
    const sent = seen.at(-1);
    expect(sent?.authorization).toBe('Bearer unused');
    expect(sent?.body).toMatchObject({
      model: MODEL,
      max_tokens: 1,
      temperature: 0,
      messages: question.messages,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } },
    });
    expect(sent?.body).not.toHaveProperty('logprobs');
    expect(sent?.body).not.toHaveProperty('top_logprobs');

    await keyed().call(question);
    expect(seen.at(-1)?.body).toMatchObject({ logprobs: true, top_logprobs: 1 });
  });

  it('a body that stalls after the headers -> timeout (the SDK timeout alone stops at the headers)', async () => {
    next = { status: 200, body: JSON.stringify({ choices: [{ message: { content: 'A' } }] }), stall: true };
    const impatient = new OpenAICompatibleProvider('slow', modelConfig(baseUrl, { timeoutMs: 300 }));
    const d = await failure(impatient.call(question));
    expect(d).toMatchObject({ errorClass: 'timeout', retryable: true, status: 200 });
  });

  it('a refused connection -> connection', async () => {
    // A port that was free a moment ago: listen, note it, close, then connect.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const nowhere = new OpenAICompatibleProvider('gone', modelConfig(`http://127.0.0.1:${port}/v1`));
    const d = await failure(nowhere.call(question));
    expect(d).toMatchObject({ errorClass: 'connection', retryable: true, status: null });
    expect(d.message).toContain('ECONNREFUSED');
  });
});
