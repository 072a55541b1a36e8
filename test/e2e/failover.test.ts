/**
 * Failover over real HTTP: a model served by two recorded-model servers with the same data, built
 * exactly as the worker builds it (registry.createProvider). The primary is scripted to fail with
 * 500s through `POST /admin/faults`; once its circuit opens, calls go to the second endpoint; once
 * both are open, calls fail with `endpoint_unavailable` without reaching either server. The
 * circuits run on an injected clock, so the cooldown is crossed without waiting.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelSchema } from '../../src/request/config/schema';
import { EndpointPool } from '../../src/request/providers/endpoint-pool';
import { createProvider } from '../../src/request/providers/registry';
import {
  type ModelCallRequest,
  ProviderError,
  type ProviderErrorDetails,
} from '../../src/request/providers/types';
import { type RecordedServer, startRecordedServer } from '../../src/tools/recorded-models/server';
import { shippedData } from '../helpers/data';
import { scriptFaults } from '../helpers/stack';

const DATA_FILE = shippedData('synthetic', 'mmlu_llama.jsonl');
const MODEL = 'llama3.1-8b';
const KEY = 'sk-failover-secret-0123456789';
const COOLDOWN_MS = 60_000;

const row = JSON.parse(readFileSync(DATA_FILE, 'utf8').split('\n')[0] ?? '') as {
  system: string;
  prompt: string;
  models: Record<string, { answer: string }>;
};
const question: ModelCallRequest = {
  messages: [
    { role: 'system', content: row.system },
    { role: 'user', content: row.prompt },
  ],
  maxTokens: 1,
  temperature: 0,
};

async function failure(p: Promise<unknown>): Promise<ProviderErrorDetails> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return (err as ProviderError).details;
}

/** Chat requests a recorded server has counted for MODEL, any outcome. */
async function requestsSeen(server: RecordedServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^recorded_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (m && m[1]!.includes(`model="${MODEL}"`)) total += Number(m[2]);
  }
  return total;
}

describe('failover between two endpoints serving the same model', () => {
  let primary: RecordedServer;
  let secondary: RecordedServer;
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  const logs: string[] = [];
  let pool: EndpointPool;

  beforeAll(async () => {
    [primary, secondary] = await Promise.all([
      startRecordedServer({ dataFiles: [DATA_FILE], latencyScale: 0 }),
      startRecordedServer({ dataFiles: [DATA_FILE], latencyScale: 0 }),
    ]);
    const config = modelSchema.parse({
      provider: 'openai-compatible',
      baseUrl: primary.baseUrl,
      model: MODEL,
      pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      timeoutMs: 10_000,
      failover: [{ baseUrl: secondary.baseUrl, apiKeyEnv: 'FAILOVER_TEST_KEY' }],
      circuit: { failureThreshold: 2, cooldownMs: COOLDOWN_MS },
    });
    const provider = createProvider(
      'small',
      config,
      { FAILOVER_TEST_KEY: KEY },
      {
        now: () => clock.t,
        logger: { warn: (m) => logs.push(m) },
      },
    );
    expect(provider).toBeInstanceOf(EndpointPool);
    pool = provider as EndpointPool;
  });
  afterAll(async () => {
    await Promise.all([primary?.close(), secondary?.close()]);
  });

  it('serves from the primary (endpoint 0) while it is healthy', async () => {
    const result = await pool.call(question);
    expect(result).toMatchObject({ endpoint: 0, answer: row.models[MODEL]!.answer, modelId: 'small' });
  });

  it("fails over to endpoint 1 once the primary's circuit opens", async () => {
    await scriptFaults(primary, MODEL, ['500', '500', '500', '500']);
    // Each failure is reported as it is, naming the endpoint it came from: one HTTP attempt per call.
    const first = await failure(pool.call(question));
    expect(first).toMatchObject({ errorClass: 'server_error', status: 500, endpoint: 0 });
    expect(pool.health()[0]).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
    const second = await failure(pool.call(question));
    expect(second).toMatchObject({ errorClass: 'server_error', endpoint: 0 });
    expect(pool.health()[0]).toMatchObject({ state: 'open', probeAt: clock.t + COOLDOWN_MS });

    const seenByPrimary = await requestsSeen(primary);
    const third = await pool.call(question);
    expect(third).toMatchObject({ endpoint: 1, answer: row.models[MODEL]!.answer });
    const fourth = await pool.call(question);
    expect(fourth.endpoint).toBe(1);
    // The open circuit kept both calls away from the primary.
    expect(await requestsSeen(primary)).toBe(seenByPrimary);

    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(`circuit open for model "small" at endpoint 0 (${new URL(primary.url).host})`);
  });

  it('fails with endpoint_unavailable, without calling anyone, once both circuits are open', async () => {
    await scriptFaults(secondary, MODEL, ['500', '500']);
    expect(await failure(pool.call(question))).toMatchObject({ errorClass: 'server_error', endpoint: 1 });
    expect(await failure(pool.call(question))).toMatchObject({ errorClass: 'server_error', endpoint: 1 });
    expect(pool.health().map((h) => h.state)).toEqual(['open', 'open']);

    const before = [await requestsSeen(primary), await requestsSeen(secondary)];
    clock.t += 1_000;
    const d = await failure(pool.call(question));
    expect(d).toMatchObject({
      errorClass: 'endpoint_unavailable',
      retryable: false,
      status: null,
      latencyMs: 0,
      costUsd: 0,
      tokensIn: 0,
      tokensOut: 0,
    });
    expect(d).not.toHaveProperty('endpoint');
    // Names the model and when the earliest circuit (the primary's) will probe.
    expect(d.message).toContain('model "small"');
    expect(d.message).toContain(`endpoint 0 (${new URL(primary.url).host}) in ${COOLDOWN_MS - 1_000} ms`);
    expect([await requestsSeen(primary), await requestsSeen(secondary)]).toEqual(before);
    expect(logs.join('\n')).not.toContain(KEY);
  });

  it("after the cooldown one probe goes to the primary, and its answer closes the primary's circuit", async () => {
    clock.t += COOLDOWN_MS; // past both cooldowns
    // The primary's script still holds two 500s: the probe fails and re-opens it for a new cooldown.
    const probe = await failure(pool.call(question));
    expect(probe).toMatchObject({ errorClass: 'server_error', endpoint: 0 });
    expect(pool.health()[0]).toMatchObject({ state: 'open', probeAt: clock.t + COOLDOWN_MS });
    // Endpoint 1 is due a probe too, and answers it.
    expect((await pool.call(question)).endpoint).toBe(1);
    expect(pool.health()[1]!.state).toBe('closed');

    await scriptFaults(primary, MODEL, ['ok']);
    clock.t += COOLDOWN_MS;
    expect((await pool.call(question)).endpoint).toBe(0);
    expect(pool.health().map((h) => h.state)).toEqual(['closed', 'closed']);
    expect(logs.filter((l) => l.includes('circuit closed'))).toHaveLength(2);
  });
});
