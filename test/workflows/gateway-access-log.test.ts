/**
 * The gateway's access log in front of a real stack: one JSON line per request (an Anthropic
 * message, which the gateway serves through its chat route in-process, is one line too), with
 * method, route pattern, status, duration, ids, token id and bytes, and no token or raw URL.
 */
import net from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLogLine } from '../../src/doors/gateway/access-log';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const TOKEN = `log-secret-${Date.now().toString(36)}-token`;

let stack: Stack;
let gateway: RunningGateway;
const lines: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: { [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 } },
    tasks: { mmlu: { route: 'static', rungs: [{ model: SMALL }] } },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(`logger:${TOKEN}`),
    port: 0,
    taskQueue: stack.taskQueue,
    accessLog: (line) => lines.push(line),
  });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

/** Lines are written when a response closes, which may be just after the client has it all. */
async function linesAfter(start: number, n: number): Promise<AccessLogLine[]> {
  for (let i = 0; i < 80 && lines.length < start + n; i++) await new Promise((r) => setTimeout(r, 25));
  return lines.slice(start).map((l) => JSON.parse(l) as AccessLogLine);
}

describe('the access log', () => {
  it('writes one JSON line per request, with ids and sizes and never the token', async () => {
    const [row] = pickRows(MMLU, 1, () => true);
    const messages = [
      ...(row!.system ? [{ role: 'system', content: row!.system }] : []),
      { role: 'user', content: row!.prompt },
    ];
    const start = lines.length;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const chatBody = JSON.stringify({ model: 'cascade/mmlu', messages });
    const chat = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'log-chat' },
      body: chatBody,
    });
    const chatText = await chat.text();
    expect(chat.status).toBe(200);
    const streamed = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'idempotency-key': 'log-stream' },
      body: JSON.stringify({ model: 'cascade/mmlu', messages, stream: true }),
    });
    const streamedText = await streamed.text();
    expect(streamed.status).toBe(200);
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: TOKEN, maxRetries: 0 });
    const message = await anthropic.messages
      .create(
        {
          model: 'cascade/mmlu',
          max_tokens: 64,
          ...(row!.system ? { system: row!.system } : {}),
          messages: [{ role: 'user', content: row!.prompt }],
        },
        { headers: { 'Idempotency-Key': 'log-anthropic' } },
      )
      .withResponse();
    expect(message.response.status).toBe(200);
    // Refused: a wrong token (sent as x-api-key), the token in a query string of an unknown URL.
    const wrong = await fetch(`${gateway.url}/v1/models`, { headers: { 'x-api-key': `${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const unknown = await fetch(`${gateway.url}/v1/nowhere/${TOKEN}?key=${TOKEN}`, { headers: auth });
    expect(unknown.status).toBe(404);
    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);

    const got = await linesAfter(start, 6);
    expect(got).toHaveLength(6);
    const [c, s, a, w, u, h] = got;
    expect(c).toEqual({
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      method: 'POST',
      route: '/v1/chat/completions',
      status: 200,
      duration_ms: expect.any(Number),
      workflow_id: 'logger:log-chat',
      token_id: 'logger',
      bytes_in: Buffer.byteLength(chatBody),
      bytes_out: Buffer.byteLength(chatText),
    });
    expect(s).toMatchObject({
      route: '/v1/chat/completions',
      status: 200,
      workflow_id: 'logger:log-stream',
      bytes_out: Buffer.byteLength(streamedText),
    });
    // The Anthropic door: one line, its own route, the workflow its chat route started.
    expect(a).toMatchObject({
      method: 'POST',
      route: '/v1/messages',
      status: 200,
      workflow_id: 'logger:log-anthropic',
    });
    expect(w).toMatchObject({ route: '/v1/models', status: 401, token_id: null, workflow_id: null });
    expect(u).toMatchObject({ route: null, status: 404, token_id: 'logger' });
    expect(h).toMatchObject({ method: 'GET', route: '/health', status: 200, token_id: null });
    expect(new Set(got.map((l) => l.request_id)).size).toBe(6);
    const text = lines.slice(start).join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('nowhere');
  });
});

describe('the access log, when the client leaves', () => {
  it('logs a request whose client left mid-body as aborted, status 499, still without the token', async () => {
    const start = lines.length;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(gateway.port, '127.0.0.1', () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
            'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model":',
          // Time for the server to have the request (its onRequest hooks run before the body is read).
          () => setTimeout(() => socket.destroy(), 300),
        );
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    const [line] = await linesAfter(start, 1);
    expect(line).toMatchObject({
      method: 'POST',
      route: '/v1/chat/completions',
      status: 499,
      aborted: true,
      token_id: 'logger',
      bytes_in: 500,
      bytes_out: 0,
    });
    expect(lines.slice(start).join('\n')).not.toContain(TOKEN);
  });
});
