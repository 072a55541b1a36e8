/**
 * 30% provider faults (issue #16, the reliability suite): the recorded-model server fails 30% of
 * calls with every kind a provider produces (429 with Retry-After, 500, a hung call cut by the
 * model's timeout, a reset connection, a malformed body, an empty choice list), seeded. Lean and
 * durable cascades run through them. Checked: every request ends, answered or failed cleanly
 * with all its attempts in its trace; exactly one ledger row each; every call the server
 * received is an attempt on the record; and a 429's Retry-After is waited out before the retry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedServer } from '../../src/tools/recorded-models/server';
import type { Trace } from '../../src/request/router/trace';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { shippedData } from '../helpers/data';
import { readRows } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const PER_TASK = 40;
const RETRY_AFTER_S = 1;
let stack: Stack;

beforeAll(async () => {
  const rungs = [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }];
  const limits = { initialBackoffMs: 100, maxBackoffMs: 2_000, maxAttemptsPerRung: 4 };
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      // A hung call is cut by the model's timeout (the provider's `timeout` class, retried).
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2, timeoutMs: 1_500, concurrency: 32 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3, timeoutMs: 1_500, concurrency: 32 },
    },
    tasks: {
      lean: { route: 'cascade', execution: 'lean', rungs, limits },
      durable: { route: 'cascade', execution: 'durable', rungs, limits },
    },
    recorded: {
      faultRate: 0.3,
      faultKinds: ['429', '500', 'timeout', 'reset', 'malformed', 'empty'],
      seed: 16,
      retryAfterSeconds: RETRY_AFTER_S,
      timeoutHangMs: 5_000,
      concurrency: 64,
    },
  });
});
afterAll(async () => {
  await stack?.close();
});

async function received(recorded: RecordedServer): Promise<number> {
  const text = await (await fetch(`${recorded.url}/metrics`)).text();
  return parseSamples(text, 'recorded_requests_total').reduce((n, s) => n + s.value, 0);
}

describe('30% provider faults', () => {
  it(
    'every request ends cleanly, once, with every call on the record and Retry-After honoured',
    { timeout: 240_000 },
    async () => {
      const before = await received(stack.recorded);
      const rows = readRows(MMLU).filter(
        (r) => r.models[SMALL]?.answer !== undefined && r.models[LARGE]?.answer !== undefined,
      );
      const run = Date.now().toString(36);
      const requests = (['lean', 'durable'] as const).flatMap((task) =>
        Array.from({ length: PER_TASK }, (_, i) => ({
          id: `faults-${run}-${task}-${i}`,
          task,
          row: rows[i]!,
        })),
      );
      const traces: Trace[] = await Promise.all(
        requests.map((r) =>
          stack.cascade.run({
            id: r.id,
            task: r.task,
            prompt: r.row.prompt,
            ...(r.row.system ? { system: r.row.system } : {}),
          }),
        ),
      );

      const attempts = traces.flatMap((t) => t.calls.flatMap((c) => c.attempts));
      const failedAttempts = attempts.filter((a) => !a.ok);
      const byClass = new Map<string, number>();
      for (const a of failedAttempts) byClass.set(a.errorClass!, (byClass.get(a.errorClass!) ?? 0) + 1);
      const answered = traces.filter((t) => t.status === 'answered').length;
      console.log(
        `provider faults: ${traces.length} requests, ${answered} answered, ${traces.length - answered} failed; ` +
          `${attempts.length} attempts, ${failedAttempts.length} failed: ` +
          [...byClass].map(([k, n]) => `${k} ${n}`).join(', '),
      );

      // The faults happened, of several kinds, and the retries got most requests through.
      expect(failedAttempts.length).toBeGreaterThan(attempts.length * 0.15);
      expect(byClass.size).toBeGreaterThanOrEqual(4);
      expect(answered).toBeGreaterThanOrEqual(traces.length * 0.9);
      // A failed request failed cleanly: a reason, and its attempts in the trace.
      for (const t of traces.filter((x) => x.status !== 'answered')) {
        expect(t.status).toBe('failed');
        expect(t.error).toBeTruthy();
        expect(t.calls.flatMap((c) => c.attempts).length).toBeGreaterThan(0);
      }
      // Retry-After honoured: a retry after a 429 waited at least that long (durable timers).
      const after429 = traces.flatMap((t) =>
        t.calls.flatMap((c) =>
          c.attempts.filter((a, i) => a.errorClass === 'rate_limited' && i < c.attempts.length - 1),
        ),
      );
      expect(after429.length).toBeGreaterThan(0);
      for (const a of after429) expect(a.backoffMs).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000);

      // One ledger row each, with the trace's attempts; every call the server received is one of them.
      const ledger = stack.workers.ledger!;
      const ids = requests.map((r) => r.id);
      const rowsRecorded = await ledger.listRequests({ ids });
      expect(rowsRecorded.map((r) => r.id).sort()).toEqual([...ids].sort());
      const onRecord = (await Promise.all(ids.map((id) => ledger.attempts(id)))).flat();
      expect(onRecord.length).toBe(attempts.length);
      // The hung calls are counted by the server when their connection closes.
      for (let i = 0; i < 100 && (await received(stack.recorded)) - before < onRecord.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await received(stack.recorded)) - before).toBe(onRecord.length);
    },
  );
});
