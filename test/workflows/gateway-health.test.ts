/**
 * GET /health and GET /ready against a real Temporal dev server: /ready is 503 naming the check
 * that failed while no worker polls the gateway's workflow task queue, 200 once real workers
 * poll it, and 503 naming Temporal when Temporal cannot be reached; /health answers without
 * Temporal; neither needs a token, while every other route still does.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { parseApiTokens } from '../../src/doors/gateway/auth';
import type { Readiness } from '../../src/doors/gateway/health';
import { startGateway, type RunningGateway } from '../../src/doors/gateway/server';
import { shippedData } from '../helpers/data';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const TOKEN = 'health-test-token-1';
const stackOptions = {
  dataFiles: [MMLU],
  models: { [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 } },
  tasks: { mmlu: { route: 'static' as const, rungs: [{ model: SMALL }] } },
};

let stack: Stack;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  stack = await startStack(stackOptions);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await stack?.close();
});

async function gatewayFor(cascade: CascadeClient, taskQueue: string): Promise<RunningGateway> {
  const gateway = await startGateway({
    cascade,
    auth: parseApiTokens(`me:${TOKEN}`),
    port: 0,
    namespace: inject('temporalNamespace'),
    taskQueue,
    // Every probe asks Temporal again: the test watches a worker arrive.
    readyCacheMs: 0,
  });
  closers.push(() => gateway.close());
  return gateway;
}

async function ready(gateway: RunningGateway): Promise<{ status: number; body: Readiness }> {
  const res = await fetch(`${gateway.url}/ready`);
  return { status: res.status, body: (await res.json()) as Readiness };
}

describe('GET /ready and GET /health', () => {
  it('is 503 naming the worker check while no worker polls the task queue, 200 once one does', async () => {
    // The queue a stack with this prefix will poll (test/helpers/stack.ts: `cascade-<prefix>`).
    const prefix = `r${randomUUID().slice(0, 8)}-`;
    const queue = `cascade-${prefix}`;
    const gateway = await gatewayFor(stack.cascade, queue);

    const before = await ready(gateway);
    expect(before.status).toBe(503);
    expect(before.body.status).toBe('not_ready');
    expect(before.body.failed).toEqual(['worker']);
    expect(before.body.checks.temporal).toEqual({ ok: true });
    expect(before.body.checks.worker).toMatchObject({ ok: false, taskQueue: queue, pollers: 0 });
    expect(before.body.checks.worker.message).toContain(queue);

    // Real workers on that queue (and a recorded-model server behind them).
    const second = await startStack({ ...stackOptions, modelIdPrefix: prefix });
    closers.push(() => second.close());
    expect(second.taskQueue).toBe(queue);
    let after = await ready(gateway);
    for (let i = 0; i < 80 && after.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = await ready(gateway);
    }
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({
      status: 'ready',
      failed: [],
      checks: { temporal: { ok: true }, worker: { ok: true, taskQueue: queue } },
    });
    expect(after.body.checks.worker.pollers).toBeGreaterThan(0);
  });

  it('is 503 naming Temporal when Temporal cannot be reached; /health stays 200 without a Temporal call', async () => {
    // A connection to a port nothing listens on: every Temporal call fails.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 1_000 });
    closers.push(() => connection.close());
    const cascade = new CascadeClient({
      client: new Client({ connection, namespace: inject('temporalNamespace') }),
      config: stack.config,
      taskQueue: stack.taskQueue,
      control: false,
    });
    const gateway = await gatewayFor(cascade, stack.taskQueue);

    const res = await ready(gateway);
    expect(res.status).toBe(503);
    expect(res.body.failed).toEqual(['temporal', 'worker']);
    expect(res.body.checks.temporal.ok).toBe(false);
    expect(res.body.checks.temporal.message).toMatch(/GetSystemInfo/);
    // No address or Temporal error text to an unauthenticated caller.
    expect(JSON.stringify(res.body)).not.toContain('127.0.0.1');

    const health = await fetch(`${gateway.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
  });

  it('needs no token for /health and /ready, while the API routes still do', async () => {
    const gateway = await gatewayFor(stack.cascade, stack.taskQueue);
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    const r = await ready(gateway);
    expect(r.status).toBe(200);
    expect(r.body.checks.worker.taskQueue).toBe(stack.taskQueue);
    expect((await fetch(`${gateway.url}/v1/models`)).status).toBe(401);
    expect(
      (await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    // The wrong method on a probe is a 405, as on any known route.
    const post = await fetch(`${gateway.url}/ready`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(post.status).toBe(405);
  });
});
