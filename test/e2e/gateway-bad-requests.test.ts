/**
 * The gateway refuses bad requests at the boundary: each gets the right status and an
 * OpenAI-style error body, and none of them starts a workflow. Real stack: Temporal dev server,
 * workers, the recorded-model server, and the gateway in front of the stack's CascadeClient.
 *
 * "Starts no workflow" is checked two ways: every bad request carries its own Idempotency-Key,
 * and describing `<token-id>:<key>` finds nothing (strongly consistent); and the count of
 * workflows on the stack's task queue grows by exactly one, the good request sent after them
 * (visibility lags: polled with a bound until the good one shows).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const TOKEN = 'bad-requests-token-1';
const TOKEN_ID = 'alice';
const BODY_LIMIT = 64 * 1024;

let stack: Stack;
let gateway: RunningGateway;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
      },
    },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(`${TOKEN_ID}:${TOKEN},bob:another-token-2`),
    port: 0,
    bodyLimit: BODY_LIMIT,
  });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

const [row] = pickRows(MMLU, 1, () => true);
const messages = [
  { role: 'system', content: row!.system ?? '' },
  { role: 'user', content: row!.prompt },
];
const good = { model: 'cascade/mmlu', messages };

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Replace the Authorization header (null: send none). */
  auth?: string | null;
  status: number;
  type?: string;
  code?: string;
  param?: string | null;
}

const withBody = (patch: Record<string, unknown>) => ({ ...good, ...patch });
const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));

const CASES: Case[] = [
  {
    name: 'malformed JSON',
    body: '{"model": "cascade/mmlu", "messages": [',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'empty JSON body', body: '', status: 400, code: 'invalid_json' },
  { name: 'a JSON array, not an object', body: '[1,2]', status: 400, code: 'invalid_body' },
  { name: 'missing messages', body: without('messages'), status: 400, param: 'messages' },
  { name: 'empty messages', body: withBody({ messages: [] }), status: 400, param: 'messages' },
  { name: 'messages not an array', body: withBody({ messages: 'hi' }), status: 400, param: 'messages' },
  {
    name: 'a message without role',
    body: withBody({ messages: [{ content: 'hi' }] }),
    status: 400,
    param: 'messages[0].role',
  },
  {
    name: 'a message without content',
    body: withBody({ messages: [{ role: 'user' }] }),
    status: 400,
    param: 'messages[0].content',
  },
  {
    name: 'an unknown role',
    body: withBody({ messages: [{ role: 'wizard', content: 'hi' }] }),
    status: 400,
    param: 'messages[0].role',
  },
  {
    name: 'a tool message (no tools)',
    body: withBody({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }] }),
    status: 400,
    param: 'messages[0].role',
  },
  {
    name: 'no user message',
    body: withBody({ messages: [{ role: 'system', content: 'be brief' }] }),
    status: 400,
    param: 'messages',
  },
  {
    name: 'an empty user message',
    body: withBody({ messages: [{ role: 'user', content: '   ' }] }),
    status: 400,
    param: 'messages',
  },
  {
    name: 'an unsupported content part (image)',
    body: withBody({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }],
    }),
    status: 400,
    code: 'unsupported_content',
    param: 'messages[0].content[0].type',
  },
  {
    name: 'an unknown policy',
    body: withBody({ model: 'cascade/nope' }),
    status: 404,
    code: 'model_not_found',
    param: 'model',
  },
  {
    name: 'a model that is not a policy',
    body: withBody({ model: 'gpt-4o' }),
    status: 404,
    code: 'model_not_found',
    param: 'model',
  },
  {
    name: 'auto without a defaultTask',
    body: withBody({ model: 'auto' }),
    status: 404,
    code: 'model_not_found',
    param: 'model',
  },
  { name: 'model missing', body: without('model'), status: 400, param: 'model' },
  { name: 'model not a string', body: withBody({ model: 42 }), status: 400, param: 'model' },
  {
    name: 'an oversized body',
    body: withBody({ messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT + 10) }] }),
    status: 413,
    code: 'request_too_large',
  },
  {
    name: 'a wrong token',
    auth: 'Bearer not-the-token',
    body: good,
    status: 401,
    type: 'authentication_error',
    code: 'invalid_api_key',
  },
  {
    name: 'no token',
    auth: null,
    body: good,
    status: 401,
    type: 'authentication_error',
    code: 'missing_api_key',
  },
  {
    name: 'a malformed Authorization header',
    auth: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
    body: good,
    status: 401,
    type: 'authentication_error',
    code: 'invalid_authorization_header',
  },
  {
    name: 'a bearer with no token',
    auth: 'Bearer ',
    body: good,
    status: 401,
    code: 'invalid_authorization_header',
  },
  {
    name: 'temperature not a number',
    body: withBody({ temperature: 'hot' }),
    status: 400,
    param: 'temperature',
  },
  { name: 'temperature out of range', body: withBody({ temperature: 3 }), status: 400, param: 'temperature' },
  {
    name: 'max_tokens not a number',
    body: withBody({ max_tokens: '100' }),
    status: 400,
    param: 'max_tokens',
  },
  { name: 'negative max_tokens', body: withBody({ max_tokens: -5 }), status: 400, param: 'max_tokens' },
  { name: 'fractional max_tokens', body: withBody({ max_tokens: 1.5 }), status: 400, param: 'max_tokens' },
  { name: 'stream not a boolean', body: withBody({ stream: 'yes' }), status: 400, param: 'stream' },
  { name: 'tools not an array', body: withBody({ tools: 'search' }), status: 400, param: 'tools' },
  {
    name: 'a tool whose parameters is not a JSON Schema',
    body: withBody({
      tools: [{ type: 'function', function: { name: 'search', parameters: { type: 'nonsense' } } }],
    }),
    status: 400,
    code: 'invalid_value',
    param: 'tools[0].function.parameters',
  },
  {
    name: 'tool_choice naming a tool not offered',
    body: withBody({
      tools: [{ type: 'function', function: { name: 'search', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'delete_everything' } },
    }),
    status: 400,
    code: 'invalid_value',
    param: 'tool_choice.function.name',
  },
  {
    name: 'logit_bias (token ids differ between rungs)',
    body: withBody({ logit_bias: { '50256': -100 } }),
    status: 400,
    code: 'unsupported_parameter',
    param: 'logit_bias',
  },
  {
    name: 'response_format not an object',
    body: withBody({ response_format: 'json' }),
    status: 400,
    param: 'response_format',
  },
  {
    name: 'response_format of an unknown type',
    body: withBody({ response_format: { type: 'xml' } }),
    status: 400,
    param: 'response_format.type',
  },
  {
    name: 'a json_schema response_format without a schema',
    body: withBody({ response_format: { type: 'json_schema', json_schema: { name: 'answer' } } }),
    status: 400,
    param: 'response_format.json_schema.schema',
  },
  {
    name: 'an invalid JSON Schema (refused by the client before start)',
    body: withBody({
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'nonsense' } } },
    }),
    status: 400,
    param: 'response_format.json_schema.schema',
  },
  { name: 'n > 1', body: withBody({ n: 3 }), status: 400, param: 'n' },
  { name: 'top_p above 1', body: withBody({ top_p: 1.5 }), status: 400, param: 'top_p' },
  {
    name: 'an unknown parameter',
    body: withBody({ frobnicate: true }),
    status: 400,
    code: 'unknown_parameter',
    param: 'frobnicate',
  },
  {
    name: 'metadata.tenant (reserved)',
    body: withBody({ metadata: { tenant: 'bob' } }),
    status: 400,
    param: 'metadata.tenant',
  },
  {
    name: 'a wrong content-type',
    body: JSON.stringify(good),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'an Idempotency-Key with spaces',
    body: good,
    headers: { 'idempotency-key': 'two words' },
    status: 400,
    param: 'idempotency-key',
  },
  {
    name: 'GET on a POST route',
    method: 'GET',
    path: '/v1/chat/completions',
    status: 405,
    code: 'method_not_allowed',
  },
  {
    name: 'an unknown route',
    method: 'POST',
    path: '/v1/completions',
    body: good,
    status: 404,
    code: 'unknown_url',
  },
  {
    name: 'feedback without a score',
    path: '/v1/feedback',
    body: { request_id: 'x' },
    status: 400,
    param: 'score',
  },
  {
    name: 'feedback with a string score',
    path: '/v1/feedback',
    body: { request_id: 'x', score: 'good' },
    status: 400,
    param: 'score',
  },
  {
    name: 'feedback without request_id',
    path: '/v1/feedback',
    body: { score: 1 },
    status: 400,
    param: 'request_id',
  },
  {
    name: 'feedback for an unknown request',
    path: '/v1/feedback',
    body: { request_id: 'never-ran', score: 1 },
    status: 404,
    code: 'request_not_found',
  },
  {
    name: 'cancel of an unknown id',
    method: 'DELETE',
    path: '/v1/requests/never-ran',
    status: 404,
    code: 'request_not_found',
  },
  {
    name: "cancel of another caller's id",
    method: 'DELETE',
    path: `/v1/requests/${encodeURIComponent('bob:whatever')}`,
    status: 404,
    code: 'request_not_found',
  },
];

async function send(c: Case, key: string): Promise<Response> {
  const headers: Record<string, string> = { 'idempotency-key': key, ...c.headers };
  if (c.auth !== null) headers.authorization = c.auth ?? `Bearer ${TOKEN}`;
  let body: string | undefined;
  if (c.body !== undefined) {
    body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
    headers['content-type'] ??= 'application/json';
  }
  return fetch(`${gateway.url}${c.path ?? '/v1/chat/completions'}`, {
    method: c.method ?? 'POST',
    headers,
    body,
  });
}

async function countOnQueue(): Promise<number> {
  return (await stack.client.workflow.count(`TaskQueue = "${stack.taskQueue}"`)).count;
}

describe('the gateway refuses bad requests, starting nothing', () => {
  it(`has at least 30 kinds of bad request`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it('answers each with its status and an OpenAI-style error, and starts no workflow', async () => {
    const before = await countOnQueue();
    const keys: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const key = `bad-${i}-${Date.now().toString(36)}`;
      keys.push(key);
      const res = await send(c, key);
      const text = await res.text();
      expect({ case: c.name, status: res.status }).toEqual({ case: c.name, status: c.status });
      expect(res.headers.get('content-type'), c.name).toMatch(/^application\/json/);
      const body = JSON.parse(text) as { error: Record<string, unknown> };
      expect(Object.keys(body), c.name).toEqual(['error']);
      expect(Object.keys(body.error).sort(), c.name).toEqual(['code', 'message', 'param', 'type']);
      expect(typeof body.error.message, c.name).toBe('string');
      expect((body.error.message as string).length, c.name).toBeGreaterThan(0);
      if (c.type) expect(body.error.type, c.name).toBe(c.type);
      else
        expect(body.error.type, c.name).toBe(
          c.status === 401 ? 'authentication_error' : 'invalid_request_error',
        );
      if (c.code) expect(body.error.code, c.name).toBe(c.code);
      if (c.param !== undefined) expect(body.error.param, c.name).toBe(c.param);
      if (c.status === 401) expect(res.headers.get('www-authenticate'), c.name).toMatch(/^Bearer/);
      // The message never echoes a token.
      expect(text, c.name).not.toContain(TOKEN);
    }
    // Strongly consistent: no workflow has any of the ids those requests would have had.
    for (const key of keys) {
      const err = await stack.client.workflow
        .getHandle(`${TOKEN_ID}:${key}`)
        .describe()
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err, key).toBeInstanceOf(WorkflowNotFoundError);
    }
    // Visibility: one good request after them; once it shows, the count grew by exactly one.
    const res = await send({ name: 'good', body: good, status: 200 }, `good-${Date.now().toString(36)}`);
    expect(res.status).toBe(200);
    let after = -1;
    for (let i = 0; i < 80; i++) {
      after = await countOnQueue();
      if (after >= before + 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(after).toBe(before + 1);
  });
});
