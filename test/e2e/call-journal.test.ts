/**
 * The call journal (src/request/ledger/call-journal.ts) on SQLite and PostgreSQL: a lean model call that
 * runs again under the same key learns of every earlier execution, with its exact usage when it
 * had finished and an estimate (its input tokens) when it was cut off in flight. The end-to-end
 * case (kill -9 of a worker with lean calls in flight) is test/e2e/worker-kill.test.ts.
 */
import { afterAll, expect, it } from 'vitest';
import type { Ledger } from '../../src/request/ledger/types';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';

const KEY = { workflowId: 'req-1', runId: 'run-1', activityId: '2' };
const START = { model: 'm', purpose: 'answer', attempt: 1, estimatedTokensIn: 100, estimatedCostUsd: 0.0002 };

describeEachLedger('call journal', (backend) => {
  const open: Ledger[] = [];
  afterAll(async () => {
    for (const l of open) await l.close().catch(() => undefined);
    await backend.cleanup();
  });

  it('reports nothing for a first execution, and every earlier one for each re-execution', async () => {
    const { ledger } = await freshLedger(backend);
    open.push(ledger);
    expect(await ledger.beginCall(KEY, START, 1_000)).toEqual([]);
    // Cut off in flight (its worker died): the re-execution gets the estimate, for the time it ran.
    const cutOff = { estimated: true, tokensIn: 100, tokensOut: 0, costUsd: 0.0002, latencyMs: 3_000 };
    expect(await ledger.beginCall(KEY, START, 4_000)).toEqual([cutOff]);
    // That one returned (the marker was lost with its worker): the next gets its exact usage, and
    // still the first one's estimate: a call lost twice is two attempts on the record.
    await ledger.endCall(KEY, { tokensIn: 120, tokensOut: 7, costUsd: 0.00025, latencyMs: 850 }, 5_000);
    const returned = { estimated: false, tokensIn: 120, tokensOut: 7, costUsd: 0.00025, latencyMs: 850 };
    expect(await ledger.beginCall(KEY, START, 9_000)).toEqual([cutOff, returned]);
    // A fourth execution, cut off in flight at once: the third is an estimate for the 2 s it ran.
    expect(await ledger.beginCall(KEY, START, 11_000)).toEqual([
      cutOff,
      returned,
      { ...cutOff, latencyMs: 2_000 },
    ]);
    // Other keys (another attempt's local activity, one whose id starts alike, another run) are
    // other calls.
    expect(await ledger.beginCall({ ...KEY, activityId: '3' }, START)).toEqual([]);
    expect(await ledger.beginCall({ ...KEY, activityId: '22' }, START)).toEqual([]);
    expect(await ledger.beginCall({ ...KEY, runId: 'run-2' }, START)).toEqual([]);
    // peek reads the key's own (latest) execution, as a durable attempt's successor does.
    expect(await ledger.peekCall(KEY, 12_000)).toEqual({ ...cutOff, latencyMs: 1_000 });
  });
});
