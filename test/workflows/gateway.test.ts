/**
 * The OpenAI-compatible gateway in front of a real stack (Temporal dev server, workers, the
 * recorded-model server, a real SQLite ledger), driven by the official `openai` npm client,
 * unmodified but for its baseURL and apiKey.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGatewayOnWorkers } from '../../src/doors/gateway/on-worker';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import type { Ledger } from '../../src/request/ledger/types';
import type { Trace } from '../../src/request/router/trace';
import { shippedData } from '../helpers/data';
import { freshLedger, ledgerBackends, type LedgerBackend } from '../helpers/ledgers';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
const ALICE = { id: 'alice', token: 'alice-secret-token-1' };
const BOB = { id: 'bob', token: 'bob-secret-token-22' };

let stack: Stack;
let gateway: RunningGateway;
let ledger: Ledger;
let backend: LedgerBackend;
let alice: OpenAI;
let bob: OpenAI;

beforeAll(async () => {
  backend = ledgerBackends().find((b) => b.name === 'sqlite')!;
  ({ ledger } = await freshLedger(backend));
  stack = await startStack({
    dataFiles: [MMLU],
    ledger,
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
      mmluStatic: { route: 'static', rungs: [{ model: LARGE }] },
    },
  });
  gateway = await startGateway({
    cascade: stack.cascade,
    auth: parseApiTokens(`${ALICE.id}:${ALICE.token},${BOB.id}:${BOB.token}`),
    port: 0,
    uiBaseUrl: 'http://ui.example:8233',
    namespace: 'default',
  });
  alice = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: ALICE.token });
  bob = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: BOB.token });
});
afterAll(async () => {
  await gateway?.close();
  await stack?.close();
  await ledger?.close();
  await backend?.cleanup();
});

const confident = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) >= THRESHOLD + 0.05;
const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;
const messagesOf = (row: DataRow): OpenAI.Chat.ChatCompletionMessageParam[] => [
  ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
  { role: 'user' as const, content: row.prompt },
];
let seq = 0;
const key = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

async function poll<T>(fn: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await fn();
  for (let i = 0; i < 80 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 250));
    v = await fn();
  }
  return v;
}

const countById = (id: string) =>
  poll(
    async () => (await stack.client.workflow.count(`WorkflowId = "${id}"`)).count,
    (n) => n >= 1,
  );

describe('the gateway, through the official openai client', () => {
  it('completes a request: the checked answer, usage summed over calls, x-cascade-* headers', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const { data, response } = await alice.chat.completions
      .create({ model: 'cascade/mmlu', messages: messagesOf(row!) })
      .withResponse();
    const requestId = response.headers.get('x-cascade-request-id')!;
    expect(requestId).toMatch(/^alice:gw-/);
    // The id names a workflow the Temporal client can show; its result is the trace.
    const desc = await stack.client.workflow.getHandle(requestId).describe();
    expect(desc.status.name).toBe('COMPLETED');
    expect(desc.taskQueue).toBe(stack.taskQueue);
    const trace = await stack.cascade.trace(requestId);

    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('cascade/mmlu');
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: row!.models[LARGE]!.answer,
    });
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'low_confidence' },
    ]);
    // Usage: both calls, the small model's (wasted) and the large model's.
    const tin = trace.calls.flatMap((c) => c.attempts).reduce((s, a) => s + a.tokensIn, 0);
    const tout = trace.calls.flatMap((c) => c.attempts).reduce((s, a) => s + a.tokensOut, 0);
    expect(trace.calls).toHaveLength(2);
    expect(data.usage).toEqual({ prompt_tokens: tin, completion_tokens: tout, total_tokens: tin + tout });
    expect(tin).toBe(row!.models[SMALL]!.tokens!.in + row!.models[LARGE]!.tokens!.in);

    expect(response.headers.get('x-cascade-route')).toBe('cascade');
    expect(response.headers.get('x-cascade-escalated')).toBe('true');
    expect(Number(response.headers.get('x-cascade-cost-usd'))).toBeCloseTo(trace.totals.costUsd, 12);
    expect(response.headers.get('x-cascade-trace-url')).toBe(
      `http://ui.example:8233/namespaces/default/workflows/${encodeURIComponent(requestId)}`,
    );
    expect(response.headers.get('x-cascade-final-model')).toBe(stack.modelId(LARGE));
  });

  it('streams the same checked answer as chat.completion.chunk events', async () => {
    const [row] = pickRows(MMLU, 2, confident).slice(1);
    const plain = await alice.chat.completions.create({ model: 'cascade/mmlu', messages: messagesOf(row!) });
    const stream = await alice.chat.completions.create({
      model: 'cascade/mmlu',
      messages: messagesOf(row!),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(content).toBe(plain.choices[0]!.message.content);
    expect(content).toBe(row!.models[SMALL]!.answer);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(['stop']);
    // The usage chunk comes last, with no choices, and matches the plain request's usage
    // (another request with the same prompt: the same recorded calls).
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual(plain.usage);
  });

  it('streams over raw SSE: a role delta, content deltas, a finish chunk, then [DONE]', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cascade/mmlu', messages: messagesOf(row!), stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-cascade-request-id')).toMatch(/^alice:/);
    const events = (await res.text()).split('\n\n').filter((e) => e !== '');
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as OpenAI.Chat.ChatCompletionChunk);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('idempotency: the same key twice is one workflow, one ledger row, the same answer', async () => {
    const [row] = pickRows(MMLU, 3, unsure).slice(2);
    const k = key('idem');
    const body = { model: 'cascade/mmlu', messages: messagesOf(row!) };
    const first = await alice.chat.completions
      .create(body, { headers: { 'Idempotency-Key': k } })
      .withResponse();
    const second = await alice.chat.completions
      .create(body, { headers: { 'Idempotency-Key': k } })
      .withResponse();
    const id = `alice:${k}`;
    expect(first.response.headers.get('x-cascade-request-id')).toBe(id);
    expect(second.response.headers.get('x-cascade-request-id')).toBe(id);
    expect(second.data.choices[0]!.message.content).toBe(first.data.choices[0]!.message.content);
    expect(second.data.id).toBe(first.data.id);
    expect(second.data.usage).toEqual(first.data.usage);
    // One workflow execution with that id (a second run would show as a second execution).
    expect(await countById(id)).toBe(1);
    const executions = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = "${id}"` })) executions.push(wf);
    expect(executions).toHaveLength(1);
    // One ledger row, one set of billed attempts (recorded when the workflow finished).
    const rows = await ledger.listRequests({ ids: [id] });
    expect(rows).toHaveLength(1);
    const trace = (await stack.client.workflow.getHandle(id).result()) as Trace;
    expect(await ledger.attempts(id)).toHaveLength(trace.calls.flatMap((c) => c.attempts).length);
    // A streamed repeat of the same request joins it too: stream is delivery, not the request.
    const streamed = await alice.chat.completions.create(
      { ...body, stream: true },
      { headers: { 'Idempotency-Key': k } },
    );
    let text = '';
    for await (const c of streamed) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe(first.data.choices[0]!.message.content);
    expect(await ledger.listRequests({ ids: [id] })).toHaveLength(1);
  });

  it("another caller's same key is its own workflow; a different body with the same key is a 409", async () => {
    const [a, b] = pickRows(MMLU, 6, confident).slice(4);
    const k = key('shared');
    const body = { model: 'cascade/mmlu', messages: messagesOf(a!) };
    const mine = await alice.chat.completions
      .create(body, { headers: { 'Idempotency-Key': k } })
      .withResponse();
    const theirs = await bob.chat.completions
      .create(body, { headers: { 'Idempotency-Key': k } })
      .withResponse();
    expect(mine.response.headers.get('x-cascade-request-id')).toBe(`alice:${k}`);
    expect(theirs.response.headers.get('x-cascade-request-id')).toBe(`bob:${k}`);
    const [da, db] = await Promise.all([
      stack.client.workflow.getHandle(`alice:${k}`).describe(),
      stack.client.workflow.getHandle(`bob:${k}`).describe(),
    ]);
    expect(da.runId).not.toBe(db.runId);
    expect(await countById(`bob:${k}`)).toBe(1);

    const err = await alice.chat.completions
      .create({ model: 'cascade/mmlu', messages: messagesOf(b!) }, { headers: { 'Idempotency-Key': k } })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.ConflictError);
    const conflict = err as InstanceType<typeof OpenAI.ConflictError>;
    expect(conflict.status).toBe(409);
    expect(conflict.code).toBe('idempotency_key_reused');
    expect(conflict.param).toBe('Idempotency-Key');
    // Nothing new: still the one run of alice's key.
    const after = await stack.client.workflow.getHandle(`alice:${k}`).describe();
    expect(after.runId).toBe(da.runId);
  });

  it('X-Request-Id scopes the id when no Idempotency-Key is sent', async () => {
    const [row] = pickRows(MMLU, 7, confident).slice(6);
    const k = key('xrid');
    const { response } = await alice.chat.completions
      .create({ model: 'cascade/mmlu', messages: messagesOf(row!) }, { headers: { 'X-Request-Id': k } })
      .withResponse();
    expect(response.headers.get('x-cascade-request-id')).toBe(`alice:${k}`);
  });

  it('passes response_format json_schema on as the schema the answers are checked against', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const { response } = await alice.chat.completions
      .create({
        model: 'cascade/mmluStatic',
        messages: messagesOf(row!),
        max_tokens: 16,
        temperature: 0,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'letter', schema: { type: 'object', required: ['letter'] } },
        },
      })
      .withResponse();
    const id = response.headers.get('x-cascade-request-id')!;
    const desc = await stack.client.workflow.getHandle(id).describe();
    expect(desc.status.name).toBe('COMPLETED');
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
    const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString()) as {
      request: { maxTokens?: number; temperature?: number };
      policy: { responseSchema: unknown };
    };
    expect(input.policy.responseSchema).toEqual({ type: 'object', required: ['letter'] });
    expect(input.request).toMatchObject({ maxTokens: 16, temperature: 0 });
  });

  it('lists the policies as models', async () => {
    const ids: string[] = [];
    for await (const m of alice.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['cascade/mmlu', 'cascade/mmluStatic']);
    // Prometheus scrapes /metrics without a token.
    const metrics = await fetch(`${gateway.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(
      /cascade_gateway_requests_total\{route="\/v1\/chat\/completions",status="200"\} \d+/,
    );
  });

  it('records feedback for the caller, and scopes feedback and cancel to the caller', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const k = key('fb');
    await alice.chat.completions.create(
      { model: 'cascade/mmlu', messages: messagesOf(row!) },
      { headers: { 'Idempotency-Key': k } },
    );
    const id = `alice:${k}`;
    await poll(
      () => ledger.getRequest(id),
      (r) => r !== null,
    );
    const post = (token: string, body: unknown) =>
      fetch(`${gateway.url}/v1/feedback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await post(ALICE.token, { request_id: k, score: 0.5, label: 'ok', key: 'fb-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'feedback', request_id: id, score: 0.5, label: 'ok' });
    // Bob names alice's full id: it is scoped under bob, so it is not found.
    expect((await post(BOB.token, { request_id: id, score: 0 })).status).toBe(404);
    expect(await ledger.feedback(id)).toHaveLength(1);
    // A finished request cannot be cancelled; bob cannot even see it.
    const del = (token: string, rid: string) =>
      fetch(`${gateway.url}/v1/requests/${encodeURIComponent(rid)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    const mine = await del(ALICE.token, id);
    expect(mine.status).toBe(409);
    expect(((await mine.json()) as { error: { code: string } }).error.code).toBe('request_finished');
    expect((await del(BOB.token, id)).status).toBe(404);
  });

  it("eager start: a gateway on the worker's NativeConnection gets the first workflow task in the start response", async () => {
    const eager = await startGatewayOnWorkers({
      workers: stack.workers,
      config: stack.config,
      namespace: inject('temporalNamespace'),
      taskQueue: stack.taskQueue,
      auth: parseApiTokens(`${ALICE.id}:${ALICE.token}`),
      port: 0,
    });
    try {
      const client = new OpenAI({ baseURL: `${eager.url}/v1`, apiKey: ALICE.token });
      const rows = pickRows(MMLU, 3, confident);
      for (const row of rows) {
        const res = await client.chat.completions.create({
          model: 'cascade/mmlu',
          messages: messagesOf(row),
        });
        expect(res.choices[0]!.message.content).toBe(row.models[SMALL]!.answer);
      }
      expect(eager.ctx.stats.started).toBe(3);
      // The server may decline (no free workflow slot at that instant); with an idle worker it takes them.
      expect(eager.ctx.stats.eagerlyStarted).toBeGreaterThan(0);
    } finally {
      await eager.close();
    }
  });
});
