/**
 * A Temporal outage never turns into a blind retry (issue #16). The official OpenAI SDKs retry a
 * 503 on their own, without an idempotency key: when a request waiting for its answer was told
 * "503 temporal_unavailable, x-should-retry: true" (with no request id), 30 keyless requests
 * became 32 paid cascades. Now, once a start may have reached Temporal, the gateway keeps the
 * request until Temporal is back within the caller's deadline, or answers 504
 * `request_in_progress` with the request id and `x-should-retry: false`; only a failure before any
 * start was sent (a probe that finds Temporal down) is a retryable 503.
 *
 * Real Temporal, real network outage: the gateway's client reaches the dev server through a TCP
 * proxy this test cuts (connections dropped, port closed), restores, or makes swallow Temporal's
 * answers (the start arrives, its reply never does). The workers talk to Temporal directly and
 * keep running the workflows. Callers are the official `openai` npm client with its default
 * retries. Workflows are counted by the callers' unique token id (`WorkflowId STARTS_WITH`).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { shippedData } from '../helpers/data';
import { pickRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const LARGE = 'llama3.1-405b';
const TOKEN_ID = `out${randomUUID().slice(0, 8)}`;
const TOKEN = `outage-token-${randomUUID()}`;

/** A TCP proxy to Temporal that can be cut, restored, or made to swallow Temporal's replies. */
class TemporalProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  swallowing = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d) => {
        if (!this.swallowing) client.write(d);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Temporal becomes unreachable: every connection dropped, nothing accepted. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((r) => server.close(r));
  }

  /** Reachable again (fresh connections, replies delivered). */
  async restore(): Promise<void> {
    this.swallowing = false;
    if (!this.server) await this.listen();
  }
}

let stack: Stack;
let proxy: TemporalProxy;
let connection: Connection;
let gateway: RunningGateway;

const rows = pickRows(MMLU, 40, () => true);
let nextRow = 0;
const aPrompt = () => {
  const r = rows[nextRow++ % rows.length]!;
  return [
    ...(r.system ? [{ role: 'system' as const, content: r.system }] : []),
    { role: 'user' as const, content: r.prompt },
  ];
};

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    // Each model call takes seconds: requests are waiting for their answer when Temporal goes.
    recorded: { latencyScale: 10, concurrency: 32 },
    models: { [LARGE]: { inputPerMTok: 3, outputPerMTok: 3, concurrency: 32 } },
    tasks: { mmlu: { route: 'static', rungs: [{ model: LARGE }] } },
  });
  const [host, port] = inject('temporalAddress').split(':');
  proxy = new TemporalProxy({ host: host!, port: Number(port) });
  await proxy.listen();
  // The gateway's own connection, through the proxy: few retries of its own and quick
  // reconnects, so an outage of seconds reaches the gateway instead of being hidden by the SDK.
  connection = await Connection.connect({
    address: `127.0.0.1:${proxy.port}`,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 2 }))],
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
  });
  const cascade = new CascadeClient({
    client: new Client({ connection, namespace: inject('temporalNamespace') }),
    config: stack.config,
    taskQueue: stack.taskQueue,
    shadowTaskQueue: stack.shadowTaskQueue,
    ledger: stack.workers.ledger,
    control: false,
  });
  gateway = await startGateway({ cascade, auth: parseApiTokens(`${TOKEN_ID}:${TOKEN}`), port: 0 });
});

afterAll(async () => {
  await proxy?.restore();
  await gateway?.close();
  await connection?.close();
  await stack?.close();
});

const countMine = async () =>
  (await stack.client.workflow.count(`WorkflowId STARTS_WITH "${TOKEN_ID}:"`)).count;

/** The count once visibility has caught up with `atLeast` (and stayed put for a moment). */
async function settledCount(atLeast: number): Promise<number> {
  let n = await countMine();
  for (let i = 0; i < 120 && n < atLeast; i++) {
    await new Promise((r) => setTimeout(r, 250));
    n = await countMine();
  }
  await new Promise((r) => setTimeout(r, 1_500));
  return countMine();
}

const sdk = () => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN }); // default maxRetries: 2

describe('a Temporal outage never invites a blind retry', () => {
  it('keeps requests waiting through an outage and answers each once: N keyless requests, N workflows', async () => {
    const before = await settledCount(0);
    const N = 6;
    const client = sdk();
    const calls = Array.from({ length: N }, () =>
      client.chat.completions.create({ model: 'cascade/mmlu', messages: aPrompt() }).withResponse(),
    );
    // Every request has started its workflow and is waiting for the answer: Temporal goes away.
    expect(await settledCount(before + N)).toBe(before + N);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, 3_000));
    await proxy.restore();
    const results = await Promise.all(calls);
    for (const { data, response } of results) {
      expect(response.status).toBe(200);
      expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
      expect(response.headers.get('x-cascade-request-id')).toMatch(new RegExp(`^${TOKEN_ID}:gw-`));
    }
    expect(new Set(results.map((r) => r.response.headers.get('x-cascade-request-id'))).size).toBe(N);
    // No request ran twice.
    expect(await settledCount(before + N)).toBe(before + N);
  }, 120_000);

  it("past the caller's deadline: 504 request_in_progress with the id, never retried; the id then gets the answer", async () => {
    const before = await settledCount(0);
    const N = 4;
    // A request's own timeout goes with it as X-Stainless-Timeout: 8; the gateway answers before
    // the SDK would give up (and retry blindly on its own timeout).
    const client = sdk();
    const bodies = Array.from({ length: N }, () => aPrompt());
    const calls = bodies.map((messages) =>
      client.chat.completions.create({ model: 'cascade/mmlu', messages }, { timeout: 8_000 }).then(
        () => null,
        (e: unknown) => e,
      ),
    );
    expect(await settledCount(before + N)).toBe(before + N);
    await proxy.cut();
    const errors = await Promise.all(calls);

    // Meanwhile, with Temporal known to be down, a new request is refused before anything is
    // sent: a 503 the SDK may retry as it is (it does, twice), and nothing starts.
    const refused = await sdk()
      .chat.completions.create({ model: 'cascade/mmlu', messages: aPrompt() })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    const refusedBody = (refused as InstanceType<typeof OpenAI.APIError>).error as { code: string };
    expect(refusedBody.code).toBe('temporal_unavailable');
    expect((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('x-should-retry')).toBe('true');

    await proxy.restore();
    const ids: string[] = [];
    for (const e of errors) {
      expect(e).toBeInstanceOf(OpenAI.APIError);
      const err = e as InstanceType<typeof OpenAI.APIError>;
      expect(err.status, err.message).toBe(504);
      expect((err.error as { code: string }).code).toBe('request_in_progress');
      expect(err.headers?.get('x-should-retry')).toBe('false');
      const id = err.headers?.get('x-cascade-request-id');
      expect(id).toMatch(new RegExp(`^${TOKEN_ID}:gw-`));
      expect(err.message).toContain('Idempotency-Key');
      ids.push(id!);
    }
    // Nothing was retried blindly, and the refused request started nothing.
    expect(await settledCount(before + N)).toBe(before + N);
    // Asking again with the id (as x-cascade-request-id gave it) joins the request: its answer, once.
    for (const [i, id] of ids.entries()) {
      const { data, response } = await sdk()
        .chat.completions.create(
          { model: 'cascade/mmlu', messages: bodies[i]! },
          { headers: { 'Idempotency-Key': id } },
        )
        .withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get('x-cascade-request-id')).toBe(id);
      expect(data.choices[0]!.message.content!.length).toBeGreaterThan(0);
    }
    // A different body under one of those ids is a conflict, not a second request.
    const conflict = await sdk()
      .chat.completions.create(
        { model: 'cascade/mmlu', messages: [{ role: 'user', content: 'not the same body' }] },
        { headers: { 'Idempotency-Key': ids[0]! } },
      )
      .then(
        () => null,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
    expect(conflict?.status).toBe(409);
    expect(await settledCount(before + N)).toBe(before + N);
  }, 120_000);

  it('a start whose reply was lost: 504 with the id; asking again with it joins the one workflow', async () => {
    // A request that succeeds first: Temporal is known to be up.
    const ok = await sdk().chat.completions.create({ model: 'cascade/mmlu', messages: aPrompt() });
    expect(ok.choices.length).toBe(1);
    const before = await settledCount(0);

    const messages = aPrompt();
    proxy.swallowing = true; // the start reaches Temporal; its reply never comes back
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'x-stainless-timeout': '5',
      },
      body: JSON.stringify({ model: 'cascade/mmlu', messages }),
    });
    expect(res.status).toBe(504);
    expect(res.headers.get('x-should-retry')).toBe('false');
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'request_in_progress', type: 'timeout_error' });
    const id = res.headers.get('x-cascade-request-id')!;
    expect(id).toMatch(new RegExp(`^${TOKEN_ID}:gw-`));
    await proxy.cut();
    await proxy.restore();

    // The workflow exists (the start did arrive)...
    const desc = await stack.client.workflow.getHandle(id).describe();
    expect(desc.workflowId).toBe(id);
    // ... and asking again with its id (the bare key works as well as the full id) gets its answer.
    const key = id.slice(TOKEN_ID.length + 1);
    for (const k of [id, key]) {
      const again = await sdk()
        .chat.completions.create({ model: 'cascade/mmlu', messages }, { headers: { 'Idempotency-Key': k } })
        .withResponse();
      expect(again.response.status).toBe(200);
      expect(again.response.headers.get('x-cascade-request-id')).toBe(id);
    }
    expect(await settledCount(before + 1)).toBe(before + 1);
  }, 120_000);
});
