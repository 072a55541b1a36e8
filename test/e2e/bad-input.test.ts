/**
 * The reliability suite of issue #16: every bad input refused, every paid call on the record,
 * no secret anywhere it should not be. All real: a Temporal dev server, workers, the
 * recorded-model server, the gateway over HTTP (and over raw TCP for what `fetch` will not
 * send), the compiled `cascade` command in child processes (`npm run build` first).
 *
 * 1. The gateway refuses at least 60 kinds of bad input. Each gets its status, an OpenAI-shaped
 *    body (`{ error: { message, type, param, code } }`, JSON, `x-should-retry: false`), Node's
 *    own HTTP-level refusals included (a CR in a header, Content-Length with Transfer-Encoding,
 *    headers too large, a body that does not arrive in time), and starts no workflow: its
 *    caller's token id is unique to this file, and the workflows whose id starts with it are
 *    counted with the Temporal client (`count`) before and after.
 * 2. The CLI refuses at least 20 kinds of bad input, each with a message naming what is wrong
 *    and the documented exit code (2 usage, 3 invalid config, 4 unreachable), and a reader that
 *    closes the pipe early ends it quietly.
 * 3. Secrets: with the provider key and the gateway token set to unique markers, requests of
 *    every kind go through `cascade gateway` and `cascade worker` (child processes); the markers
 *    occur 0 times in the workflow histories (fetchHistory, encoded), the ledger's SQLite files,
 *    the processes' stdout and stderr, the /metrics texts and every response body and header.
 *    The provider did receive the key (a recording proxy in front of it says so).
 *
 * The figures (docs/reliability.md) are printed at the end: `npx vitest run test/e2e/bad-input.test.ts`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { startRecordedServer, type RecordedServer } from '../../src/tools/recorded-models/server';
import { PROJECT_ROOT, runCascade } from '../helpers/cli';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
/** This file's callers: unique, so counting their workflows counts only this file's. */
const TOKEN_ID = `rel${randomUUID().slice(0, 8)}`;
const TOKEN = `reliability-token-${randomUUID()}`;
const BODY_TIMEOUT_MS = 1_500;

const [row] = pickRows(MMLU, 1, () => true);
const messages = [
  { role: 'system', content: row!.system ?? '' },
  { role: 'user', content: row!.prompt },
];
const good = { model: 'cascade/mmlu', messages };
const withBody = (patch: Record<string, unknown>) => ({ ...good, ...patch });
const without = (key: string) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));

const figures = {
  gatewayKinds: 0,
  gatewayRequests: 0,
  workflowsStartedByRejectedInput: -1,
  cliKinds: 0,
  secretScan: {
    requests: 0,
    histories: 0,
    historyBytes: 0,
    ledgerBytes: 0,
    logBytes: 0,
    metricsBytes: 0,
    responseBytes: 0,
    occurrences: -1,
    keySeenByProvider: 0,
  },
};

afterAll(() => {
  process.stdout.write(
    `\nreliability figures (issue #16): ${JSON.stringify(figures, null, 2)}\n` +
      `  gateway: ${figures.gatewayKinds} kinds of bad input, ${figures.gatewayRequests} requests, ` +
      `${figures.workflowsStartedByRejectedInput} workflows started by rejected input\n` +
      `  cli: ${figures.cliKinds} kinds of bad input\n` +
      `  secrets: ${figures.secretScan.occurrences} occurrences in ${figures.secretScan.histories} histories ` +
      `(${figures.secretScan.historyBytes} B), the ledger (${figures.secretScan.ledgerBytes} B), logs ` +
      `(${figures.secretScan.logBytes} B), metrics (${figures.secretScan.metricsBytes} B), responses ` +
      `(${figures.secretScan.responseBytes} B) of ${figures.secretScan.requests} requests\n`,
  );
});

// ---------------------------------------------------------------------------------------------
// Raw HTTP: what fetch refuses to send (control characters, conflicting framing, slow bodies).

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes `chunks` (a number: a pause in ms) to a new connection; resolves with the reply once the server closes it. */
function rawExchange(port: number, chunks: (string | Buffer | number)[]): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    socket.on('data', (d) => got.push(d));
    socket.on('error', () => {}); // a reset after the reply is fine
    socket.on('close', () => {
      const text = Buffer.concat(got).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      let body = text.slice(split + 4);
      if (headers['content-length']) {
        body = Buffer.from(body).subarray(0, Number(headers['content-length'])).toString('utf8');
      }
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body });
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (!socket.destroyed) socket.write(c);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// 1. The gateway

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** An object is sent as JSON; a string or Buffer as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Replace the Authorization header (null: send none). */
  auth?: string | null;
  /** Raw bytes on a new connection instead of fetch (`{AUTH}` is the Authorization header line). */
  raw?: (string | Buffer | number)[];
  status: number;
  type?: string;
  code?: string;
  param?: string | null;
}

const nested = (depth: number) =>
  '{"type":"object","properties":{"a":'.repeat(depth) + '{"type":"string"}' + '}}'.repeat(depth);
const bodyWith = (json: string) => Buffer.from(json, 'utf8');
const utf8Bad = (bytes: number[]) =>
  Buffer.concat([
    Buffer.from('{"model":"cascade/mmlu","messages":[{"role":"user","content":"a'),
    Buffer.from(bytes),
    Buffer.from('b"}]}'),
  ]);
const rawPost = (extraHeaders: string, body = '{}') => [
  `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n${extraHeaders}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
];

const CASES: Case[] = [
  // -- bytes that are not UTF-8 text
  { name: 'invalid UTF-8 (0xFF)', body: utf8Bad([0xff]), status: 400, code: 'invalid_encoding' },
  { name: 'an overlong UTF-8 sequence', body: utf8Bad([0xc0, 0xaf]), status: 400, code: 'invalid_encoding' },
  {
    name: 'a UTF-8-encoded surrogate (CESU)',
    body: utf8Bad([0xed, 0xa0, 0x80]),
    status: 400,
    code: 'invalid_encoding',
  },
  { name: 'a truncated UTF-8 sequence', body: utf8Bad([0xe2, 0x82]), status: 400, code: 'invalid_encoding' },
  { name: 'a stray continuation byte', body: utf8Bad([0x80]), status: 400, code: 'invalid_encoding' },
  {
    name: 'a lone high surrogate in a message',
    body: bodyWith('{"model":"cascade/mmlu","messages":[{"role":"user","content":"hi \\ud800 there"}]}'),
    status: 400,
    code: 'invalid_encoding',
    param: 'messages[0].content',
  },
  {
    name: 'a lone low surrogate in the system message',
    body: bodyWith(
      '{"model":"cascade/mmlu","messages":[{"role":"system","content":"\\udc00"},{"role":"user","content":"hi"}]}',
    ),
    status: 400,
    code: 'invalid_encoding',
    param: 'messages[0].content',
  },
  {
    name: 'a reversed surrogate pair',
    body: bodyWith('{"model":"cascade/mmlu","messages":[{"role":"user","content":"\\udc00\\ud800"}]}'),
    status: 400,
    code: 'invalid_encoding',
  },
  {
    name: 'a lone surrogate in a metadata key',
    body: bodyWith(
      '{"model":"cascade/mmlu","messages":[{"role":"user","content":"hi"}],"metadata":{"k\\ud834":"v"}}',
    ),
    status: 400,
    code: 'invalid_encoding',
    param: 'metadata',
  },
  {
    name: 'a lone surrogate in model',
    body: bodyWith('{"model":"cascade/\\ud800","messages":[{"role":"user","content":"hi"}]}'),
    status: 400,
    code: 'invalid_encoding',
    param: 'model',
  },
  {
    name: 'a lone surrogate in a content part',
    body: bodyWith(
      '{"model":"cascade/mmlu","messages":[{"role":"user","content":[{"type":"text","text":"\\ud800"}]}]}',
    ),
    status: 400,
    code: 'invalid_encoding',
    param: 'messages[0].content[0].text',
  },
  // -- nesting
  {
    name: 'a JSON Schema nested 2,500 levels deep',
    body: bodyWith(
      `{"model":"cascade/mmlu","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"deep","schema":${nested(2_500)}}}}`,
    ),
    status: 400,
    code: 'nesting_too_deep',
    param: 'response_format.json_schema.schema',
  },
  {
    name: 'a JSON Schema just over the depth limit',
    body: bodyWith(
      `{"model":"cascade/mmlu","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"deep","schema":${nested(31)}}}}`,
    ),
    status: 400,
    code: 'nesting_too_deep',
    param: 'response_format.json_schema.schema',
  },
  {
    name: 'arrays nested 200,000 deep in an unknown field',
    body: bodyWith(`{"x":${'['.repeat(200_000)}${']'.repeat(200_000)},"model":"cascade/mmlu"}`),
    status: 400,
    code: 'nesting_too_deep',
    param: 'x[0][0]',
  },
  {
    name: 'deep objects inside a content part',
    body: bodyWith(
      `{"model":"cascade/mmlu","messages":[{"role":"user","content":[{"type":"text","text":"a","x":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}]}]}`,
    ),
    status: 400,
    code: 'nesting_too_deep',
    param: 'messages[0].content',
  },
  // -- JSON itself
  {
    name: 'malformed JSON',
    body: '{"model": "cascade/mmlu", "messages": [',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
  {
    name: 'a byte-order mark before the JSON',
    body: `\ufeff${JSON.stringify(good)}`,
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'trailing garbage after the JSON',
    body: `${JSON.stringify(good)} x`,
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'a NaN literal',
    body: '{"model":"cascade/mmlu","temperature":NaN}',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'a JSON array', body: '[1,2]', status: 400, code: 'invalid_body' },
  { name: 'a JSON string', body: '"hello"', status: 400, code: 'invalid_body' },
  { name: 'JSON null', body: 'null', status: 400, code: 'invalid_body' },
  { name: 'a JSON number', body: '42', status: 400, code: 'invalid_body' },
  {
    name: 'a __proto__ key',
    body: '{"model":"cascade/mmlu","__proto__":{"admin":true},"messages":[]}',
    status: 400,
    code: 'invalid_body',
  },
  {
    name: 'a constructor.prototype',
    body: '{"model":"cascade/mmlu","metadata":{"constructor":{"prototype":{"x":1}}}}',
    status: 400,
    code: 'invalid_body',
  },
  // -- media type and size
  {
    name: 'a text/plain body',
    body: JSON.stringify(good),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a form body',
    body: 'model=cascade%2Fmmlu',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'JSON in latin1',
    body: JSON.stringify(good),
    headers: { 'content-type': 'application/json; charset=latin1' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'a malformed content type',
    body: JSON.stringify(good),
    headers: { 'content-type': 'application/json; charset' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'an oversized body',
    body: withBody({ messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024 + 10) }] }),
    status: 413,
    code: 'request_too_large',
  },
  // -- the request's fields
  { name: 'missing messages', body: without('messages'), status: 400, param: 'messages' },
  { name: 'empty messages', body: withBody({ messages: [] }), status: 400, param: 'messages' },
  { name: 'messages not an array', body: withBody({ messages: 'hi' }), status: 400, param: 'messages' },
  {
    name: 'a message that is a string',
    body: withBody({ messages: ['hi'] }),
    status: 400,
    param: 'messages[0]',
  },
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
    name: 'a tool message',
    body: withBody({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }] }),
    status: 400,
    param: 'messages[0].role',
  },
  {
    name: 'an unknown field in a message',
    body: withBody({ messages: [{ role: 'user', content: 'hi', mood: 'sad' }] }),
    status: 400,
    code: 'unknown_parameter',
    param: 'messages[0].mood',
  },
  {
    name: 'no user message',
    body: withBody({ messages: [{ role: 'system', content: 'be brief' }] }),
    status: 400,
    param: 'messages',
  },
  {
    name: 'a whitespace-only user message',
    body: withBody({ messages: [{ role: 'user', content: ' \n\t ' }] }),
    status: 400,
    param: 'messages',
  },
  {
    name: 'an image content part',
    body: withBody({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x/y.png' } }] }],
    }),
    status: 400,
    code: 'unsupported_content',
    param: 'messages[0].content[0].type',
  },
  {
    name: 'a text part without text',
    body: withBody({ messages: [{ role: 'user', content: [{ type: 'text' }] }] }),
    status: 400,
    param: 'messages[0].content[0].text',
  },
  {
    name: 'a text part whose text is a number',
    body: withBody({ messages: [{ role: 'user', content: [{ type: 'text', text: 5 }] }] }),
    status: 400,
    param: 'messages[0].content[0].text',
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
  {
    name: 'a policy name with a path in it',
    body: withBody({ model: 'cascade/../mmlu' }),
    status: 404,
    code: 'model_not_found',
    param: 'model',
  },
  { name: 'model missing', body: without('model'), status: 400, param: 'model' },
  { name: 'model not a string', body: withBody({ model: 42 }), status: 400, param: 'model' },
  { name: 'an empty model', body: withBody({ model: '' }), status: 400, param: 'model' },
  {
    name: 'temperature not a number',
    body: withBody({ temperature: 'hot' }),
    status: 400,
    param: 'temperature',
  },
  { name: 'temperature above 2', body: withBody({ temperature: 3 }), status: 400, param: 'temperature' },
  {
    name: 'a negative temperature',
    body: withBody({ temperature: -0.5 }),
    status: 400,
    param: 'temperature',
  },
  { name: 'max_tokens as a string', body: withBody({ max_tokens: '100' }), status: 400, param: 'max_tokens' },
  { name: 'negative max_tokens', body: withBody({ max_tokens: -5 }), status: 400, param: 'max_tokens' },
  { name: 'max_tokens of 0', body: withBody({ max_tokens: 0 }), status: 400, param: 'max_tokens' },
  { name: 'fractional max_tokens', body: withBody({ max_tokens: 1.5 }), status: 400, param: 'max_tokens' },
  {
    name: 'max_tokens and max_completion_tokens that differ',
    body: withBody({ max_tokens: 10, max_completion_tokens: 20 }),
    status: 400,
    param: 'max_completion_tokens',
  },
  { name: 'stream not a boolean', body: withBody({ stream: 'yes' }), status: 400, param: 'stream' },
  {
    name: 'an unknown stream option',
    body: withBody({ stream: true, stream_options: { chunk: 1 } }),
    status: 400,
    code: 'unknown_parameter',
    param: 'stream_options.chunk',
  },
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
    name: 'tool_choice required without tools',
    body: withBody({ tool_choice: 'required' }),
    status: 400,
    code: 'invalid_value',
    param: 'tool_choice',
  },
  {
    name: 'response_format not an object',
    body: withBody({ response_format: 'json' }),
    status: 400,
    param: 'response_format',
  },
  {
    name: 'a response_format of an unknown type',
    body: withBody({ response_format: { type: 'xml' } }),
    status: 400,
    param: 'response_format.type',
  },
  {
    name: 'a json_schema without a schema',
    body: withBody({ response_format: { type: 'json_schema', json_schema: { name: 'answer' } } }),
    status: 400,
    param: 'response_format.json_schema.schema',
  },
  {
    name: 'a json_schema name over 64 characters',
    body: withBody({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'n'.repeat(65), schema: { type: 'object' } },
      },
    }),
    status: 400,
    param: 'response_format.json_schema.name',
  },
  {
    name: 'an invalid JSON Schema',
    body: withBody({
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema: { type: 'nonsense' } } },
    }),
    status: 400,
    param: 'response_format.json_schema.schema',
  },
  { name: 'n > 1', body: withBody({ n: 3 }), status: 400, param: 'n' },
  { name: 'top_p above 1', body: withBody({ top_p: 1.5 }), status: 400, param: 'top_p' },
  {
    name: 'a presence penalty out of range',
    body: withBody({ presence_penalty: 3 }),
    status: 400,
    param: 'presence_penalty',
  },
  {
    name: 'top_logprobs without logprobs',
    body: withBody({ top_logprobs: 2 }),
    status: 400,
    param: 'top_logprobs',
  },
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
    name: 'a metadata value over 512 characters',
    body: withBody({ metadata: { note: 'x'.repeat(513) } }),
    status: 400,
    param: 'metadata.note',
  },
  {
    name: 'a user over 256 characters',
    body: withBody({ user: 'u'.repeat(257) }),
    status: 400,
    param: 'user',
  },
  // -- headers
  {
    name: 'an Idempotency-Key with spaces',
    body: good,
    headers: { 'idempotency-key': 'two words' },
    status: 400,
    code: 'invalid_idempotency_key',
    param: 'idempotency-key',
  },
  {
    name: 'an Idempotency-Key over 128 characters',
    body: good,
    headers: { 'idempotency-key': 'k'.repeat(129) },
    status: 400,
    code: 'invalid_idempotency_key',
  },
  {
    name: 'an X-Request-Id with non-ASCII bytes',
    raw: rawPost('X-Request-Id: ключ\r\nContent-Type: application/json\r\n', JSON.stringify(good)),
    status: 400,
    code: 'invalid_idempotency_key',
    param: 'x-request-id',
  },
  // -- auth
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
    name: 'Basic auth',
    auth: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
    body: good,
    status: 401,
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
    name: 'a token with a space in it',
    auth: `Bearer ${TOKEN} extra`,
    body: good,
    status: 401,
    code: 'invalid_authorization_header',
  },
  // -- routes and methods
  {
    name: 'GET on a POST route',
    method: 'GET',
    path: '/v1/chat/completions',
    status: 405,
    code: 'method_not_allowed',
  },
  {
    name: 'PUT on a POST route',
    method: 'PUT',
    path: '/v1/chat/completions',
    body: good,
    status: 405,
    code: 'method_not_allowed',
  },
  { name: 'an unknown route', path: '/v1/completions', body: good, status: 404, code: 'unknown_url' },
  {
    name: 'GET on the cancel route',
    method: 'GET',
    path: '/v1/requests/x',
    status: 405,
    code: 'method_not_allowed',
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
    path: `/v1/requests/${encodeURIComponent('other:whatever')}`,
    status: 404,
    code: 'request_not_found',
  },
  // -- HTTP itself (Node refuses these before Fastify sees a request)
  {
    name: 'a bare CR in a header value',
    raw: rawPost('X-Note: a\rb\r\nContent-Type: application/json\r\n'),
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'a NUL in a header value',
    raw: rawPost('X-Note: a\u0000b\r\nContent-Type: application/json\r\n'),
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'Content-Length and Transfer-Encoding together',
    raw: [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    ],
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'two different Content-Lengths',
    raw: [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`,
    ],
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'an invalid chunk size',
    raw: [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ],
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'a malformed request line',
    raw: ['POST /v1/chat/completions HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
    status: 400,
    code: 'malformed_request',
  },
  {
    name: 'headers larger than 16 KiB',
    raw: [`GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`],
    status: 431,
    code: 'request_headers_too_large',
  },
  {
    name: 'a body slower than the body timeout',
    raw: [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
        `Content-Length: 500\r\n\r\n{"model":"cascade/mmlu",`,
      BODY_TIMEOUT_MS * 4,
    ],
    status: 408,
    code: 'request_timeout',
  },
  {
    name: 'headers slower than the body timeout',
    raw: ['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n', BODY_TIMEOUT_MS * 4],
    status: 408,
    code: 'request_timeout',
  },
];

describe('the gateway refuses bad input, in OpenAI shape, starting nothing', () => {
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
      auth: parseApiTokens(`${TOKEN_ID}:${TOKEN},other:another-token-2`),
      port: 0,
      bodyTimeoutMs: BODY_TIMEOUT_MS,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.close();
  });

  async function send(c: Case, key: string): Promise<RawResponse> {
    if (c.raw) return rawExchange(gateway.port, c.raw);
    const headers: Record<string, string> = { 'idempotency-key': key, ...c.headers };
    if (c.auth !== null) headers.authorization = c.auth ?? `Bearer ${TOKEN}`;
    let body: string | Buffer | undefined;
    if (c.body !== undefined) {
      body = typeof c.body === 'string' || Buffer.isBuffer(c.body) ? c.body : JSON.stringify(c.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${gateway.url}${c.path ?? '/v1/chat/completions'}`, {
      method: c.method ?? 'POST',
      headers,
      body,
    });
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      body: await res.text(),
    };
  }

  const countMine = async () =>
    (await stack.client.workflow.count(`WorkflowId STARTS_WITH "${TOKEN_ID}:"`)).count;

  it('has at least 60 kinds of bad input', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('answers each with its status and an OpenAI-shaped error, and starts no workflow', async () => {
    const before = await countMine();
    for (const [i, c] of CASES.entries()) {
      const res = await send(c, `bad-${i}-${Date.now().toString(36)}`);
      figures.gatewayRequests++;
      expect({ case: c.name, status: res.status }).toEqual({ case: c.name, status: c.status });
      expect(res.headers['content-type'], c.name).toMatch(/^application\/json/);
      expect(res.headers['x-should-retry'], c.name).toBe('false');
      const body = JSON.parse(res.body) as { error: Record<string, unknown> };
      expect(Object.keys(body), c.name).toEqual(['error']);
      expect(Object.keys(body.error).sort(), c.name).toEqual(['code', 'message', 'param', 'type']);
      expect(typeof body.error.message, c.name).toBe('string');
      expect((body.error.message as string).length, c.name).toBeGreaterThan(10);
      expect(typeof body.error.code, c.name).toBe('string');
      expect(body.error.type, c.name).toBe(
        c.type ?? (c.status === 401 ? 'authentication_error' : 'invalid_request_error'),
      );
      if (c.code) expect(body.error.code, c.name).toBe(c.code);
      if (c.param !== undefined) expect(body.error.param, c.name).toBe(c.param);
      if (c.status === 401) expect(res.headers['www-authenticate'], c.name).toMatch(/^Bearer/);
      // Never a token, never a stack trace.
      expect(res.body, c.name).not.toContain(TOKEN);
      expect(res.body, c.name).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    }
    figures.gatewayKinds = CASES.length;
    // One good request after them: once visibility shows it, the count grew by exactly one.
    const ok = await send({ name: 'good', body: good, status: 200 }, `good-${Date.now().toString(36)}`);
    expect(ok.status, ok.body).toBe(200);
    let after = -1;
    for (let i = 0; i < 80; i++) {
      after = await countMine();
      if (after >= before + 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(after).toBe(before + 1);
    figures.workflowsStartedByRejectedInput = after - before - 1;
  }, 120_000);

  it('cuts a slow body with a 408 in OpenAI shape and closes the connection', async () => {
    const res = await rawExchange(gateway.port, [
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
        `Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
      // A byte now and then, never the whole body: the deadline is for all of it.
      ...Array.from({ length: 30 }, () => [BODY_TIMEOUT_MS / 5, ' '] as const).flat(),
    ]);
    // rawExchange resolved: the server closed the connection.
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body)).toEqual({
      error: {
        message: expect.stringContaining(`${BODY_TIMEOUT_MS} ms`),
        type: 'invalid_request_error',
        param: null,
        code: 'request_timeout',
      },
    });
  });

  it('takes DELETE /v1/requests/:id with Content-Type: application/json and no body', async () => {
    const key = `del-${Date.now().toString(36)}`;
    const done = await send({ name: 'good', body: good, status: 200 }, key);
    expect(done.status).toBe(200);
    const variants: Record<string, string>[] = [{ 'content-type': 'application/json' }, {}];
    for (const headers of variants) {
      const res = await fetch(`${gateway.url}/v1/requests/${key}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      });
      // The request finished: a 409 from the cancel route itself, not a 400 about the body.
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_finished');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The CLI

interface CliCase {
  name: string;
  args: string[];
  env?: Record<string, string>;
  code: number;
  /** What the message must say: the thing that is wrong. */
  message: RegExp;
}

const UNREACHABLE = ['--address', '127.0.0.1:1'];
const CODEC_KEYS = `k1:${randomBytes(32).toString('base64')}`;

describe('the CLI refuses bad input with a message and its exit code', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bad-cli-'));
    fs.writeFileSync(
      path.join(dir, 'broken.yaml'),
      'models: {}\ntasks:\n  qa:\n    route: cascade\n    rungs: [{ model: nope }]\n',
    );
    fs.writeFileSync(path.join(dir, 'not-yaml.yaml'), 'models: [unclosed\n');
    fs.writeFileSync(path.join(dir, 'not-json.jsonl'), 'this is not json\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases = (): CliCase[] => [
    { name: 'an unknown command', args: ['frobnicate'], code: 2, message: /unknown command 'frobnicate'/ },
    { name: 'an unknown option', args: ['report', '--bogus'], code: 2, message: /unknown option '--bogus'/ },
    {
      name: 'a missing argument',
      args: ['trace'],
      code: 2,
      message: /missing required argument 'request-id'/,
    },
    { name: 'too many arguments', args: ['temporal-cli', 'extra'], code: 2, message: /too many arguments/ },
    {
      name: 'an empty request id (trace)',
      args: ['trace', '', ...UNREACHABLE],
      code: 2,
      message: /request id is empty/,
    },
    {
      name: 'a blank request id (trace)',
      args: ['trace', '   ', ...UNREACHABLE],
      code: 2,
      message: /request id is empty/,
    },
    {
      name: 'a request id with a newline (trace)',
      args: ['trace', 'a\nb', ...UNREACHABLE],
      code: 2,
      message: /request id holds a control character/,
    },
    {
      name: 'an empty request id (cancel)',
      args: ['cancel', '', ...UNREACHABLE],
      code: 2,
      message: /request id is empty/,
    },
    {
      name: 'an empty request id (feedback)',
      args: ['feedback', '', '--score', '1', '--ledger', 'sqlite::memory:'],
      code: 2,
      message: /request id is empty/,
    },
    {
      name: 'a score that is not a number',
      args: ['feedback', 'x', '--score', 'abc', '--ledger', 'sqlite::memory:'],
      code: 2,
      message: /--score must be a number, got "abc"/,
    },
    {
      name: 'a malformed ledger URL',
      args: ['feedback', 'x', '--score', '1', '--ledger', 'bogus://x'],
      code: 2,
      message: /invalid ledger URL "bogus:\/\/x"/,
    },
    {
      name: 'a missing batch file',
      args: ['run', path.join(dir, 'missing.jsonl'), ...UNREACHABLE],
      code: 2,
      message: /cannot read .*missing\.jsonl: no such file/,
    },
    {
      name: 'a concurrency of 0',
      args: ['run', MMLU, '--concurrency', '0', ...UNREACHABLE],
      code: 2,
      message: /--concurrency must be an integer from 1 to 1000, got "0"/,
    },
    {
      name: 'a duration that is not one',
      args: ['report', '--since', 'yesterday', '--ledger', 'sqlite::memory:'],
      code: 2,
      message: /--since must be a duration like 30m, 24h or 7d, got "yesterday"/,
    },
    {
      name: 'an empty --html file',
      args: ['report', '--html', '', '--ledger', 'sqlite::memory:'],
      code: 2,
      message: /option '--html <file>' argument '' is invalid\. it is empty/,
    },
    {
      name: 'a port out of range',
      args: ['gateway', '--port', '99999'],
      code: 2,
      message: /--port must be a port number \(0-65535\), got "99999"/,
    },
    {
      name: 'a zero --timeout',
      args: ['gateway', '--timeout', '0'],
      code: 2,
      message: /--timeout must be a positive integer, got "0"/,
    },
    {
      name: 'a --body-timeout that is not a number',
      args: ['gateway', '--body-timeout', 'soon'],
      code: 2,
      message: /--body-timeout must be a positive integer, got "soon"/,
    },
    {
      name: 'a codec server off loopback without a token',
      args: ['codec-server', '--host', '0.0.0.0', '--port', '0'],
      env: { CASCADE_CODEC_KEYS: CODEC_KEYS, CASCADE_CODEC_SERVER_TOKEN: '' },
      code: 2,
      message: /refusing to listen on 0\.0\.0\.0 without a token.*CASCADE_CODEC_SERVER_TOKEN/,
    },
    {
      name: 'a CORS origin that is not one',
      args: ['codec-server', '--cors-origin', 'not a url', '--port', '0'],
      env: { CASCADE_CODEC_KEYS: CODEC_KEYS },
      code: 2,
      message: /--cors-origin must be an origin such as http:\/\/localhost:8233, got "not a url"/,
    },
    {
      name: 'a fault rate above 1',
      args: ['recorded', '--data', MMLU, '--fault-rate', '2', '--port', '0'],
      code: 2,
      message: /--fault-rate must be a number in \[0, 1\], got "2"/,
    },
    {
      name: 'a ladder of one model',
      args: ['calibrate', '--train', MMLU, '--ladder', 'a', '--out', path.join(dir, 'cal')],
      code: 2,
      message: /--ladder needs at least two models/,
    },
    {
      name: 'a labelled file that is not JSON',
      args: [
        'calibrate',
        '--train',
        path.join(dir, 'not-json.jsonl'),
        '--ladder',
        'a,b',
        '--out',
        path.join(dir, 'cal'),
      ],
      code: 2,
      message: /not-json\.jsonl/,
    },
    {
      name: 'a negative load-test rate',
      args: ['loadtest', '--sample', MMLU, '--rate', '-1'],
      code: 2,
      message: /--rate must be a positive number, got "-1"/,
    },
    {
      name: 'an empty workflow id (replay)',
      args: ['replay', '--workflow-id', '', ...UNREACHABLE],
      code: 2,
      message: /option '--workflow-id <id\.\.\.>' argument '' is invalid\. the request id is empty/,
    },
    {
      name: 'a history file that does not exist',
      args: ['replay', path.join(dir, 'nope.json')],
      code: 2,
      message: /nope\.json: cannot read it/,
    },
    {
      name: 'an empty model list (worker)',
      args: ['worker', '--models', '', ...UNREACHABLE],
      code: 2,
      message: /option '--models <ids>' argument '' is invalid/,
    },
    {
      name: 'an empty namespace (setup)',
      args: ['setup', '--namespace', '', ...UNREACHABLE],
      code: 2,
      message: /option '--namespace <name>' argument '' is invalid/,
    },
    {
      name: 'a demo concurrency of 0 (dev)',
      args: ['dev', '--concurrency', '0'],
      code: 2,
      message: /option '--concurrency <n>' argument '0' is invalid/,
    },
    {
      name: 'a latency scale that is not a number (dev)',
      args: ['dev', '--latency-scale', 'fast'],
      code: 2,
      message: /option '--latency-scale <x>' argument 'fast' is invalid/,
    },
    {
      name: 'a config with an unknown model',
      args: ['config', 'check', '--config', path.join(dir, 'broken.yaml')],
      code: 3,
      message: /tasks\.qa\.rungs\[0\]\.model: unknown model "nope"/,
    },
    {
      name: 'a config that is not YAML',
      args: ['config', 'check', '--config', path.join(dir, 'not-yaml.yaml')],
      code: 3,
      message: /not-yaml\.yaml/,
    },
    {
      name: 'a config that does not exist',
      args: ['config', 'check', '--config', path.join(dir, 'none.yaml')],
      code: 3,
      message: /no such file/,
    },
    {
      name: 'an unreachable Temporal',
      args: ['trace', 'some-request', ...UNREACHABLE],
      code: 4,
      message: /Cannot reach the Temporal server at 127\.0\.0\.1:1/,
    },
  ];

  it('has at least 20 kinds of bad input', () => {
    expect(cases().length).toBeGreaterThanOrEqual(20);
  });

  it('refuses each with the documented exit code and a message naming the problem', async () => {
    const all = cases();
    // Two at a time (two cores).
    const results = new Array<Awaited<ReturnType<typeof runCascade>>>(all.length);
    let next = 0;
    await Promise.all(
      [0, 1].map(async () => {
        while (next < all.length) {
          const i = next++;
          results[i] = await runCascade(all[i]!.args, { CASCADE_CODEC_SERVER_TOKEN: '', ...all[i]!.env });
        }
      }),
    );
    for (const [i, c] of all.entries()) {
      const r = results[i]!;
      expect({ case: c.name, code: r.code }, r.stderr).toEqual({ case: c.name, code: c.code });
      expect(r.stderr, c.name).toMatch(c.message);
      // A message, not a crash.
      expect(r.stderr, c.name).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
    }
    figures.cliKinds = all.length;
  }, 180_000);

  it('ends quietly when the reader closes the pipe (cascade config check | head)', async () => {
    for (const args of [['config', 'check'], ['config', 'check', '--json'], ['--help']]) {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/cascade.js'), ...args], {
          cwd: PROJECT_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        // The reader goes away before the command writes a byte: every write is an EPIPE.
        child.stdout.destroy();
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    // A usage error whose message and help text go to a closed pipe keeps its exit code.
    const usage = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/cascade.js'), 'trace', ''], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      child.stderr.destroy();
      child.on('close', (code) => resolve(code));
    });
    expect(usage).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Secrets

/** A proxy in front of the recorded-model server that remembers each Authorization it saw. */
async function recordingProxy(
  target: string,
): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(String(req.headers.authorization ?? ''));
    const up = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

interface Child {
  proc: ChildProcess;
  out: string[];
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin/cascade.js'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child: Child = { proc, out: [] };
    const timer = setTimeout(
      () => reject(new Error(`${args[0]} did not start: ${child.out.join('')}`)),
      90_000,
    );
    const onData = (d: Buffer) => {
      child.out.push(d.toString('utf8'));
      if (ready.test(child.out.join(''))) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited ${code}: ${child.out.join('')}`));
    });
  });
}

async function stopChild(child: Child | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null) return;
  child.proc.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    child.proc.once('exit', () => resolve());
    child.proc.kill('SIGTERM');
    setTimeout(() => child.proc.kill('SIGKILL'), 20_000).unref();
  });
}

describe('no secret in histories, ledger, logs, metrics or responses', () => {
  const PROVIDER_KEY = `sk-MARKER${randomUUID().replace(/-/g, '')}`;
  const GATEWAY_TOKEN = `gwtok-MARKER${randomUUID().replace(/-/g, '')}`;
  const SECRET_TOKEN_ID = `sec${randomUUID().slice(0, 8)}`;
  const KEY_ENV = 'CASCADE_TEST_PROVIDER_KEY';
  const queue = `cascade-secrets-${randomUUID().slice(0, 8)}`;
  let dir: string;
  let recorded: RecordedServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let gateway: Child | undefined;
  let worker: Child | undefined;
  let gatewayUrl: string;
  let workerMetricsUrl: string;
  let connection: Connection;
  let client: Client;
  const responses: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-secrets-'));
    recorded = await startRecordedServer({ dataFiles: [MMLU], latencyScale: 0 });
    proxy = await recordingProxy(recorded.url);
    const prefix = `s${randomUUID().slice(0, 6)}-`;
    const config = [
      'temporal:',
      `  namespace: ${inject('temporalNamespace')}`,
      'models:',
      ...[SMALL, LARGE].map((m) =>
        [
          `  ${prefix}${m}:`,
          '    provider: openai-compatible',
          `    baseUrl: ${proxy.url}/v1`,
          `    model: ${m}`,
          `    apiKeyEnv: ${KEY_ENV}`,
          `    pricing: { inputPerMTok: ${m === SMALL ? 0.2 : 3}, outputPerMTok: ${m === SMALL ? 0.2 : 3} }`,
          '    circuit: { failureThreshold: 2, cooldownMs: 500 }',
        ].join('\n'),
      ),
      'tasks:',
      '  mmlu:',
      '    route: cascade',
      '    rungs:',
      `      - { model: ${prefix}${SMALL}, confidence: answer_logprob, threshold: 0.7 }`,
      `      - { model: ${prefix}${LARGE} }`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'cascade.config.yaml'), config);
    const gatewayPort = await freePort();
    const metricsPort = await freePort();
    const env = {
      [KEY_ENV]: PROVIDER_KEY,
      CASCADE_API_TOKENS: `${SECRET_TOKEN_ID}:${GATEWAY_TOKEN}`,
      CASCADE_LEDGER_URL: `sqlite:${path.join(dir, 'ledger.sqlite')}`,
      CASCADE_CONFIG: path.join(dir, 'cascade.config.yaml'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      CASCADE_CACHE_DIR: path.join(dir, 'cache'),
    };
    const common = [
      '--namespace',
      inject('temporalNamespace'),
      '--task-queue',
      queue,
      '--workflow-bundle',
      inject('workflowBundlePath'),
    ];
    worker = await startChild(
      ['worker', ...common, '--metrics-port', String(metricsPort), '--no-sdk-metrics', '--no-monitors'],
      env,
      /worker on /,
    );
    gateway = await startChild(['gateway', ...common, '--port', String(gatewayPort)], env, /gateway on /);
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    connection = await Connection.connect({ address: inject('temporalAddress') });
    client = new Client({ connection, namespace: inject('temporalNamespace') });
  }, 180_000);

  afterAll(async () => {
    await stopChild(gateway);
    await stopChild(worker);
    await connection?.close();
    await proxy?.close();
    await recorded?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function call(
    pathname: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string>; auth?: string | null } = {},
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${GATEWAY_TOKEN}`;
    if (init.body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${gatewayUrl}${pathname}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body:
        init.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
    const text = await res.text();
    responses.push(
      `${res.status}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${text}`,
    );
    figures.secretScan.requests++;
    return { status: res.status, text };
  }

  it('finds neither marker anywhere after requests of every kind', async () => {
    const rows = pickRows(MMLU, 6, () => true);
    const asMessages = (r: (typeof rows)[number]) => [
      ...(r.system ? [{ role: 'system', content: r.system }] : []),
      { role: 'user', content: r.prompt },
    ];
    // Answered requests (the key reaches the provider), plain and streamed, repeated, conflicting.
    for (const [i, r] of rows.entries()) {
      const res = await call('/v1/chat/completions', {
        body: { model: 'cascade/mmlu', messages: asMessages(r), ...(i % 2 ? { stream: true } : {}) },
        headers: { 'idempotency-key': `sec-${i}` },
      });
      expect(res.status, res.text).toBe(200);
    }
    expect(
      (
        await call('/v1/chat/completions', {
          body: { model: 'cascade/mmlu', messages: asMessages(rows[0]!) },
          headers: { 'idempotency-key': 'sec-0' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call('/v1/chat/completions', {
          body: { model: 'cascade/mmlu', messages: asMessages(rows[1]!) },
          headers: { 'idempotency-key': 'sec-0' },
        })
      ).status,
    ).toBe(409);
    // Provider failures: retries, an open circuit (logged), an escalation.
    await fetch(`${recorded.url}/admin/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: SMALL, sequence: ['500', '500', '500', 'ok'] }),
    });
    const failing = await call('/v1/chat/completions', {
      body: { model: 'cascade/mmlu', messages: [{ role: 'user', content: rows[2]!.prompt }] },
      headers: { 'idempotency-key': 'sec-faults' },
    });
    expect([200, 502]).toContain(failing.status);
    // Errors of every family, each carrying the token in its request.
    expect((await call('/v1/chat/completions', { body: '{"model":' })).status).toBe(400);
    expect(
      (
        await call('/v1/chat/completions', {
          body: { model: 'cascade/none', messages: [{ role: 'user', content: 'x' }] },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await call('/v1/chat/completions', {
          body: { model: 'cascade/mmlu', messages: [{ role: 'user', content: 'x' }] },
          auth: `Bearer ${GATEWAY_TOKEN}x`,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call('/v1/chat/completions', {
          body: { model: 'cascade/mmlu', messages: [{ role: 'user', content: 'x' }] },
          auth: `Basic ${Buffer.from(`u:${GATEWAY_TOKEN}`).toString('base64')}`,
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await call('/v1/chat/completions', {
          body: {
            model: 'cascade/mmlu',
            messages: [{ role: 'user', content: `my key is ${'x'}` }],
            tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'nonsense' } } }],
          },
        })
      ).status,
    ).toBe(400);
    expect((await call('/v1/feedback', { body: { request_id: 'sec-0', score: 1 } })).status).toBe(200);
    expect((await call('/v1/feedback', { body: { request_id: 'nope', score: 1 } })).status).toBe(404);
    expect((await call('/v1/requests/sec-0', { method: 'DELETE' })).status).toBe(409);
    expect(
      (await call('/v1/requests/nope', { method: 'DELETE', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(404);
    expect((await call('/v1/models')).status).toBe(200);
    expect((await call('/v1/nowhere')).status).toBe(404);

    // The provider got the key: the scan below means something.
    figures.secretScan.keySeenByProvider = proxy.seen.filter((a) => a === `Bearer ${PROVIDER_KEY}`).length;
    expect(figures.secretScan.keySeenByProvider).toBeGreaterThan(0);

    // Let the ledger writes land, then gather every place a secret could end up.
    const ids = await (async () => {
      const out: string[] = [];
      for (let i = 0; i < 80; i++) {
        out.length = 0;
        for await (const w of client.workflow.list({ query: `TaskQueue = "${queue}"` }))
          out.push(w.workflowId);
        if (out.length >= rows.length + 1) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      return out;
    })();
    expect(ids.length).toBeGreaterThanOrEqual(rows.length + 1);
    const histories: Buffer[] = [];
    for (const id of ids) {
      const h = await client.workflow.getHandle(id).fetchHistory();
      histories.push(Buffer.from(temporal.api.history.v1.History.encode(h).finish()));
    }
    const metrics = [
      await (await fetch(`${gatewayUrl}/metrics`)).text(),
      await (await fetch(workerMetricsUrl)).text(),
    ];
    // Stopped, so that everything they would log is in.
    await stopChild(gateway);
    await stopChild(worker);
    const logText = [...gateway!.out, ...worker!.out].join('');
    expect(logText).toMatch(/gateway on /);
    gateway = worker = undefined;
    const ledgerFiles = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('ledger.sqlite'))
      .map((f) => fs.readFileSync(path.join(dir, f)));
    expect(ledgerFiles.length).toBeGreaterThan(0);
    const places: Record<string, Buffer[]> = {
      histories,
      ledger: ledgerFiles,
      logs: [Buffer.from(logText)],
      metrics: metrics.map((m) => Buffer.from(m)),
      responses: responses.map((r) => Buffer.from(r)),
    };
    figures.secretScan.histories = histories.length;
    figures.secretScan.historyBytes = histories.reduce((s, b) => s + b.length, 0);
    figures.secretScan.ledgerBytes = ledgerFiles.reduce((s, b) => s + b.length, 0);
    figures.secretScan.logBytes = places.logs![0]!.length;
    figures.secretScan.metricsBytes = metrics.reduce((s, m) => s + m.length, 0);
    figures.secretScan.responseBytes = responses.reduce((s, r) => s + Buffer.byteLength(r), 0);
    // Each marker as it is, base64-encoded (as a payload or a basic-auth header would carry it), and hex.
    const needles = [PROVIDER_KEY, GATEWAY_TOKEN].flatMap((m) => [
      Buffer.from(m),
      Buffer.from(Buffer.from(m).toString('base64').slice(0, 24)),
      Buffer.from(Buffer.from(m).toString('hex')),
      Buffer.from(m.slice(-24)),
    ]);
    let occurrences = 0;
    const where: string[] = [];
    for (const [place, buffers] of Object.entries(places)) {
      for (const b of buffers) {
        for (const n of needles) {
          for (let at = b.indexOf(n); at >= 0; at = b.indexOf(n, at + 1)) {
            occurrences++;
            where.push(`${place}: ${b.subarray(Math.max(0, at - 40), at + 60).toString('utf8')}`);
          }
        }
      }
    }
    figures.secretScan.occurrences = occurrences;
    expect(where).toEqual([]);
  }, 180_000);
});
