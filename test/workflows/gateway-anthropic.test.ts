/**
 * POST /v1/messages, the gateway's Anthropic door, in front of a real stack (Temporal dev server,
 * workers, the recorded-model server over HTTP), driven by the official `@anthropic-ai/sdk`
 * client, unmodified but for its baseURL and key: plain and streamed messages, the chat route's
 * model mapping and idempotency, stop sequences and max_tokens, errors in Anthropic's shape (the
 * SDK's own error classes), auth by x-api-key, and nothing started for a refused request.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
// Answers of many words (MMLU's are one letter): for streaming and stop sequences.
const GSM = shippedData('synthetic/gsm8k_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
const ALICE = { id: 'alice', token: 'alice-anthropic-token-1' };
// Bad requests are sent as carol alone, so the workflows counted are hers.
const CAROL = { id: `carol${Date.now().toString(36)}`, token: 'carol-anthropic-token-3' };

let stack: Stack;
let gateway: RunningGateway;
let alice: Anthropic;
let carol: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU, GSM],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
      gsm: { route: 'static', rungs: [{ model: SMALL }] },
    },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(`${ALICE.id}:${ALICE.token},${CAROL.id}:${CAROL.token}`),
    port: 0,
    namespace: 'default',
  });
  // The SDK appends /v1/messages to its base URL; maxRetries 0: an error is seen as it came.
  alice = new Anthropic({ baseURL: gateway.url, apiKey: ALICE.token, maxRetries: 0 });
  carol = new Anthropic({ baseURL: gateway.url, apiKey: CAROL.token, maxRetries: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
});

const confident = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) >= THRESHOLD + 0.05;
const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;
let seq = 0;
const key = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

function paramsOf(row: DataRow, extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}) {
  return {
    model: row.task === 'gsm8k' ? 'cascade/gsm' : 'cascade/mmlu',
    max_tokens: 4096,
    ...(row.system ? { system: row.system } : {}),
    messages: [{ role: 'user' as const, content: row.prompt }],
    ...extra,
  };
}

const textOf = (m: Anthropic.Message) =>
  m.content.map((b) => (b.type === 'text' ? b.text : `<${b.type}>`)).join('');

describe('POST /v1/messages through the official Anthropic SDK', () => {
  it('answers a message with the checked answer, usage summed over calls, and the request headers', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const k = key('plain');
    const count = async (route: string) => {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      return parseSamples(text, 'cascade_gateway_requests_total')
        .filter((x) => x.labels.route === route)
        .reduce((n, x) => n + x.value, 0);
    };
    const before = { messages: await count('/v1/messages'), chat: await count('/v1/chat/completions') };
    const { data, response } = await alice.messages
      .create(paramsOf(row!), { headers: { 'Idempotency-Key': k } })
      .withResponse();
    const requestId = `alice:${k}`;
    expect(response.headers.get('x-cascade-request-id')).toBe(requestId);
    expect(response.headers.get('request-id')).toBe(requestId);
    expect(response.headers.get('x-cascade-escalated')).toBe('true');
    const trace = await stack.cascade.trace(requestId);
    expect(trace.escalations.map((e) => e.reason)).toEqual(['low_confidence']);

    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe('cascade/mmlu');
    expect(data.id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(data.content).toEqual([{ type: 'text', text: row!.models[LARGE]!.answer }]);
    expect(textOf(data)).toBe(trace.final.answer);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    const attempts = trace.calls.flatMap((c) => c.attempts);
    expect(data.usage.input_tokens).toBe(attempts.reduce((s, a) => s + a.tokensIn, 0));
    expect(data.usage.output_tokens).toBe(attempts.reduce((s, a) => s + a.tokensOut, 0));
    expect(data.usage.input_tokens).toBe(row!.models[SMALL]!.tokens!.in + row!.models[LARGE]!.tokens!.in);
    // One request in the gateway's metrics: the in-process chat completion behind it is not a second.
    expect(await count('/v1/messages')).toBe(before.messages + 1);
    expect(await count('/v1/chat/completions')).toBe(before.chat);
  });

  it('streams the same checked answer as Anthropic events, ping included', async () => {
    const [row] = pickRows(GSM, 1, () => true);
    const plain = await alice.messages.create(paramsOf(row!));
    const stream = alice.messages.stream(paramsOf(row!), { headers: { 'Idempotency-Key': key('stream') } });
    const types: string[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        deltas += event.delta.text;
    }
    const final = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const middle = types.slice(2, -3);
    expect(middle.length).toBeGreaterThan(1);
    expect(new Set(middle)).toEqual(new Set(['content_block_delta']));
    expect(deltas).toBe(row!.models[SMALL]!.answer);
    expect(textOf(final)).toBe(textOf(plain));
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(plain.usage.output_tokens);
    expect(final.usage.input_tokens).toBe(plain.usage.input_tokens);

    // Over the wire: named events in Anthropic's order, a ping after the block starts (the SDK
    // skips pings, so they are checked here).
    const res = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': ALICE.token,
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({ ...paramsOf(row!), stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-cascade-request-id')).toMatch(/^alice:/);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e !== '')
      .map((e) => {
        const [eventLine, dataLine] = e.split('\n');
        const name = eventLine!.replace(/^event: /, '');
        const data = JSON.parse(dataLine!.replace(/^data: /, '')) as { type: string };
        expect(data.type).toBe(name);
        return name;
      });
    expect(events.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('maps model as the chat route does, and joins a repeated Idempotency-Key (409 for another body)', async () => {
    const [a, b] = pickRows(MMLU, 2, confident);
    const err = await alice.messages
      .create({ ...paramsOf(a!), model: 'claude-no-such-model' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    const notFound = err as InstanceType<typeof Anthropic.NotFoundError>;
    expect(notFound.status).toBe(404);
    expect(notFound.error).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('cascade/mmlu') },
    });

    const k = key('idem');
    const first = await alice.messages.create(paramsOf(a!), { headers: { 'Idempotency-Key': k } });
    const again = await alice.messages.create(paramsOf(a!), { headers: { 'Idempotency-Key': k } });
    expect(again.id).toBe(first.id);
    expect(again.usage).toEqual(first.usage);
    const executions = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = "alice:${k}"` }))
      executions.push(wf);
    expect(executions).toHaveLength(1);
    const conflict = await alice.messages
      .create(paramsOf(b!), { headers: { 'Idempotency-Key': k } })
      .catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(Anthropic.ConflictError);
    expect((conflict as InstanceType<typeof Anthropic.ConflictError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it('cuts the answer at a stop sequence (stop_reason stop_sequence), and says max_tokens when the answer reached it', async () => {
    const [row] = pickRows(GSM, 2, () => true).slice(1);
    const answer = row!.models[SMALL]!.answer!;
    const word = answer.split(' ')[2]!;
    const cut = await alice.messages.create(
      paramsOf(row!, { stop_sequences: ['NEVER-IN-AN-ANSWER', ` ${word}`] }),
    );
    expect(cut.stop_reason).toBe('stop_sequence');
    expect(cut.stop_sequence).toBe(` ${word}`);
    expect(textOf(cut)).toBe(answer.slice(0, answer.indexOf(` ${word}`)));

    const capped = await alice.messages.create(paramsOf(row!, { max_tokens: 1 }));
    expect(capped.stop_reason).toBe('max_tokens');
    const whole = await alice.messages.create(paramsOf(row!, { stop_sequences: ['NEVER-IN-AN-ANSWER'] }));
    expect(whole.stop_reason).toBe('end_turn');
    expect(textOf(whole)).toBe(answer);
  });

  it('takes the token as x-api-key, and refuses a wrong one in Anthropic shape (AuthenticationError)', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const res = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': ALICE.token, 'content-type': 'application/json' },
      body: JSON.stringify(paramsOf(row!)),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cascade-request-id')).toMatch(/^alice:/);

    const wrong = new Anthropic({ baseURL: gateway.url, apiKey: 'not-a-valid-token', maxRetries: 0 });
    const err = await wrong.messages.create(paramsOf(row!)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid API key' },
    });
    const missing = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(paramsOf(row!)),
    });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/x-api-key/);
    // Two credentials naming different callers are refused, not resolved either way.
    const both = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ALICE.token}`,
        'x-api-key': CAROL.token,
        'content-type': 'application/json',
      },
      body: JSON.stringify(paramsOf(row!)),
    });
    expect(both.status).toBe(401);
  });
});

describe('POST /v1/messages refuses bad input in Anthropic shape, starting nothing', () => {
  const user = [{ role: 'user', content: 'What is 2 + 2?' }];
  const good = { model: 'cascade/mmlu', max_tokens: 64, messages: user };
  const CASES: { name: string; body: unknown; status: number; says: RegExp }[] = [
    {
      name: 'no max_tokens',
      body: { model: 'cascade/mmlu', messages: user },
      status: 400,
      says: /^max_tokens: is required/,
    },
    {
      name: 'max_tokens 0',
      body: { ...good, max_tokens: 0 },
      status: 400,
      says: /^max_tokens: must be at least 1/,
    },
    {
      name: 'max_tokens not an integer',
      body: { ...good, max_tokens: 1.5 },
      status: 400,
      says: /^max_tokens/,
    },
    {
      name: 'no messages',
      body: { ...good, messages: [] },
      status: 400,
      says: /^messages: must contain at least one/,
    },
    { name: 'messages not an array', body: { ...good, messages: 'hi' }, status: 400, says: /^messages/ },
    {
      name: 'a system role in messages',
      body: { ...good, messages: [{ role: 'system', content: 'x' }] },
      status: 400,
      says: /^messages\.0\.role/,
    },
    {
      name: 'an image block',
      body: { ...good, messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] },
      status: 400,
      says: /^messages\.0\.content\.0\.type: content block type "image" is not supported/,
    },
    {
      name: 'a text block without text',
      body: { ...good, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      status: 400,
      says: /^messages\.0\.content\.0\.text/,
    },
    {
      name: 'an unknown field in a text block',
      body: { ...good, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', extra: 1 }] }] },
      status: 400,
      says: /^messages\.0\.content\.0\.extra: Extra inputs/,
    },
    {
      name: 'a last assistant message (prefill)',
      body: { ...good, messages: [...user, { role: 'assistant', content: 'The answer is' }] },
      status: 400,
      says: /^messages\.1\.role: the last message must be from the user/,
    },
    { name: 'top_k', body: { ...good, top_k: 5 }, status: 400, says: /^top_k: cannot be honoured/ },
    {
      name: 'output_config (known, not supported)',
      body: { ...good, output_config: { effort: 'low' } },
      status: 400,
      says: /^output_config: structured output settings are not supported/,
    },
    {
      name: 'temperature over 1',
      body: { ...good, temperature: 1.5 },
      status: 400,
      says: /^temperature: must be between 0 and 1/,
    },
    {
      name: 'tools',
      body: { ...good, tools: [{ name: 'f', input_schema: { type: 'object' } }] },
      status: 400,
      says: /^tools: tools are not supported/,
    },
    {
      name: 'tool_choice any',
      body: { ...good, tool_choice: { type: 'any' } },
      status: 400,
      says: /^tool_choice/,
    },
    {
      name: 'thinking',
      body: { ...good, thinking: { type: 'enabled', budget_tokens: 1024 } },
      status: 400,
      says: /^thinking: extended thinking/,
    },
    {
      name: 'an unknown field',
      body: { ...good, frobnicate: true },
      status: 400,
      says: /^frobnicate: Extra inputs are not permitted/,
    },
    {
      name: 'metadata other than user_id',
      body: { ...good, metadata: { tenant: 'x' } },
      status: 400,
      says: /^metadata\.tenant: Extra inputs/,
    },
    {
      name: 'an empty stop sequence',
      body: { ...good, stop_sequences: [''] },
      status: 400,
      says: /^stop_sequences\.0: must not be empty/,
    },
    {
      name: 'a system block of another type',
      body: { ...good, system: [{ type: 'image' }] },
      status: 400,
      says: /^system\.0\.type/,
    },
    { name: 'a body that is an array', body: [good], status: 400, says: /JSON object/ },
    { name: 'malformed JSON', body: '{"model":', status: 400, says: /not valid JSON/ },
    {
      name: 'an empty user message',
      body: { ...good, messages: [{ role: 'user', content: '  ' }] },
      status: 400,
      says: /messages/,
    },
    {
      name: 'an unknown model',
      body: { ...good, model: 'claude-3-opus' },
      status: 404,
      says: /does not exist/,
    },
  ];

  const countMine = async () =>
    (await stack.client.workflow.count(`WorkflowId STARTS_WITH "${CAROL.id}:"`)).count;

  it('raises the SDK BadRequestError with an invalid_request_error naming the field', async () => {
    // top_k is not in this SDK's types (nor temperature, top_p): sent as a caller of the API would.
    const withTopK = {
      model: 'cascade/mmlu',
      max_tokens: 64,
      messages: [{ role: 'user' as const, content: 'hi' }],
      top_k: 5,
    } as Anthropic.MessageCreateParamsNonStreaming;
    const err = await carol.messages.create(withTopK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const bad = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringMatching(/^top_k: cannot be honoured/) },
    });
    expect(bad.headers?.get('x-should-retry')).toBe('false');
  });

  it('answers each with its status and message, and starts no workflow', async () => {
    const before = await countMine();
    for (const [i, c] of CASES.entries()) {
      const res = await fetch(`${gateway.url}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${CAROL.token}`,
          'content-type': 'application/json',
          'idempotency-key': `bad-${i}-${Date.now().toString(36)}`,
        },
        body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
      });
      const body = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect({ case: c.name, status: res.status }).toEqual({ case: c.name, status: c.status });
      expect(Object.keys(body).sort(), c.name).toEqual(['error', 'type']);
      expect(body.type, c.name).toBe('error');
      expect(body.error.type, c.name).toBe(c.status === 404 ? 'not_found_error' : 'invalid_request_error');
      expect(body.error.message, c.name).toMatch(c.says);
      expect(res.headers.get('x-should-retry'), c.name).toBe('false');
    }
    // The wrong method on the door: 405 in Anthropic shape.
    const get = await fetch(`${gateway.url}/v1/messages`, {
      headers: { authorization: `Bearer ${CAROL.token}` },
    });
    expect(get.status).toBe(405);
    expect(((await get.json()) as { type: string }).type).toBe('error');
    // One good request after them: once visibility shows it, the count grew by exactly one.
    const ok = await carol.messages.create(paramsOf(pickRows(MMLU, 1, confident)[0]!), {
      headers: { 'Idempotency-Key': key('good') },
    });
    expect(ok.type).toBe('message');
    let after = -1;
    for (let i = 0; i < 80; i++) {
      after = await countMine();
      if (after >= before + 1) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(after).toBe(before + 1);
  }, 120_000);

  it('leaves chat completions in OpenAI shape', async () => {
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CAROL.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cascade/mmlu', messages: [] }),
    });
    expect(res.status).toBe(400);
    expect(Object.keys((await res.json()) as object)).toEqual(['error']);
  });
});
