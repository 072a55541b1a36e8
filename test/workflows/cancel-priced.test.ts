/**
 * A cancelled request's aborted model call is on the record (issue #16, point 1): the provider
 * received it and may bill it, so the ledger keeps it as a `cancelled` attempt priced by estimate
 * (input tokens counted locally, `estimated: true`), lean and durable alike, and the ledger's
 * attempts equal the requests the model server received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedServer } from '../../src/tools/recorded-models/server';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const DATA = shippedData('synthetic/mmlu_llama.jsonl');
const PRICE = { inputPerMTok: 0.2, outputPerMTok: 0.6 };
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [DATA],
    // Every call takes its recorded latency x1000 (minutes): it is in flight until cancelled.
    models: { 'llama3.1-8b': { ...PRICE, timeoutMs: 60_000 } },
    recorded: { latencyScale: 1000 },
    tasks: {
      'lean-static': { route: 'static', rungs: [{ model: 'llama3.1-8b' }], execution: 'lean' },
      'durable-static': { route: 'static', rungs: [{ model: 'llama3.1-8b' }], execution: 'durable' },
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function metric(recorded: RecordedServer, name: string, model: string): Promise<number> {
  const text = await (await fetch(`${recorded.url}/metrics`)).text();
  return parseSamples(text, name)
    .filter((s) => s.labels.model === model)
    .reduce((n, s) => n + s.value, 0);
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('a cancelled request', () => {
  for (const task of ['lean-static', 'durable-static']) {
    it(`${task}: its aborted call is a cancelled attempt with an estimated cost, one per call received`, async () => {
      const model = stack.modelId('llama3.1-8b');
      const received = () => metric(stack.recorded, 'recorded_requests_total', 'llama3.1-8b');
      const before = await received();
      const sample = readRows(DATA)[task === 'lean-static' ? 0 : 1]!;
      const { requestId } = await stack.cascade.start({
        id: `cancel-${task}-${Date.now().toString(36)}`,
        task,
        // A recorded prompt: the server answers it (slowly) rather than refusing it at once.
        prompt: sample.prompt,
        ...(sample.system ? { system: sample.system } : {}),
      });
      // The call is at the provider (which counts a request as it arrives).
      await until('the call in flight', async () =>
        (await metric(stack.recorded, 'recorded_in_flight', 'llama3.1-8b')) >= 1 ? true : null,
      );
      const outcome = await stack.cascade.cancel(requestId);
      expect(outcome.requested).toBe(true);
      const row = await until('the ledger row', () => stack.workers.ledger!.getRequest(requestId));
      expect(row.status).toBe('cancelled');
      const attempts = await stack.workers.ledger!.attempts(requestId);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        model,
        ok: false,
        errorClass: 'cancelled',
        estimated: true,
        tokensOut: 0,
      });
      expect(attempts[0]!.tokensIn).toBeGreaterThan(0);
      expect(attempts[0]!.costUsd).toBeCloseTo((attempts[0]!.tokensIn * PRICE.inputPerMTok) / 1e6, 12);
      // The request's cost counts it (spend caps and the report read this).
      expect(row.costUsd).toBeCloseTo(attempts[0]!.costUsd, 12);
      // Every call the provider received is on the record (it counts the aborted one as it ends).
      await until('the aborted call counted', async () => ((await received()) > before ? true : null));
      expect((await received()) - before).toBe(attempts.length);
    });
  }
});
