/**
 * A workflow task executed twice: its first execution wrote the ledger row, but its completion
 * never reached Temporal (the worker or the server died), so the task ran again and re-ran its
 * lean calls (paid again; the re-run records the first as a `lost` attempt). The second record,
 * with more attempts, replaces the row and its attempts; a repeat of either, a late write of the
 * first, or a record of another run changes nothing. On SQLite and PostgreSQL alike.
 */
import { afterAll, expect, it } from 'vitest';
import { outcomeFromTrace } from '../../src/request/ledger/outcome';
import type { Ledger } from '../../src/request/ledger/types';
import { createCascadeMetrics } from '../../src/watch/telemetry/metrics';
import { parseSamples } from '../../src/watch/telemetry/prometheus-text';
import { fakeMeta, fakeTrace } from '../helpers/fake-trace';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';

const LINK = { retryWindowMs: 0 };

/** The trace of the same run after its task re-ran the small call: one more (lost) attempt. */
function reexecuted(id: string) {
  const trace = fakeTrace({ id });
  const small = trace.calls.find((c) => c.model === 'small')!;
  small.attempts.unshift({
    attempt: 0,
    ok: false,
    errorClass: 'lost',
    status: null,
    latencyMs: 800,
    tokensIn: 100,
    tokensOut: 20,
    costUsd: 0.001,
    error: 'the call returned, but the worker died before the workflow recorded it',
  });
  small.attempts.forEach((a, i) => (a.attempt = i + 1));
  trace.totals.attempts += 1;
  trace.totals.costUsd += 0.001;
  return trace;
}

describeEachLedger('a re-executed workflow task', (backend) => {
  const open: Ledger[] = [];
  afterAll(async () => {
    for (const l of open) await l.close().catch(() => undefined);
    await backend.cleanup();
  });

  it('replaces the earlier execution’s row with its fuller record, and nothing else does', async () => {
    const { ledger } = await freshLedger(backend);
    open.push(ledger);
    const id = 'rx-1';
    const first = outcomeFromTrace(fakeTrace({ id }), fakeMeta({ id }));
    const second = outcomeFromTrace(reexecuted(id), fakeMeta({ id }));
    expect(second.attempts).toBe(first.attempts + 1);

    expect(await ledger.record(first, LINK)).toMatchObject({ inserted: true });
    expect(await ledger.record(second, LINK)).toMatchObject({
      inserted: false,
      replaced: true,
      // What the metrics add to the first insert's counts (telemetry's observeReplacement).
      replacedFrom: { attempts: first.attempts, costUsd: first.costUsd },
    });
    const row = await ledger.getRequest(id);
    expect(row).toMatchObject({ attempts: second.attempts });
    expect(row!.costUsd).toBeCloseTo(second.costUsd, 12);
    const rows = await ledger.attempts(id);
    expect(rows.map((a) => [a.callIndex, a.attempt, a.errorClass])).toEqual(
      second.attemptRows.map((a) => [a.callIndex, a.attempt, a.errorClass]),
    );

    // A repeat of the fuller record, or a late write of the first, leaves it as it is.
    const again = await ledger.record(second, LINK);
    expect(again.inserted).toBe(false);
    expect(again.replaced).toBeUndefined();
    expect((await ledger.record(first, LINK)).replaced).toBeUndefined();
    expect(await ledger.attempts(id)).toHaveLength(second.attempts);

    // Another run under the same id (a reset, say) is not this run's re-execution.
    const other = outcomeFromTrace(reexecuted(id), { ...fakeMeta({ id }), runId: 'another-run' });
    other.attempts += 1;
    expect((await ledger.record(other, LINK)).replaced).toBeUndefined();
    expect(await ledger.getRequest(id)).toMatchObject({ attempts: second.attempts });
  });

  it('counts in the metrics what the replacement added, so the counters sum to the ledger', async () => {
    const { ledger } = await freshLedger(backend);
    open.push(ledger);
    const id = 'rx-metrics';
    const first = outcomeFromTrace(fakeTrace({ id }), fakeMeta({ id }));
    const second = outcomeFromTrace(reexecuted(id), fakeMeta({ id }));
    const metrics = createCascadeMetrics();
    const inserted = await ledger.record(first, LINK);
    expect(inserted.inserted).toBe(true);
    metrics.observeOutcome(first);
    const replaced = await ledger.record(second, LINK);
    metrics.observeReplacement(second, replaced.replacedFrom!);
    const text = await metrics.registry.metrics();
    const sum = (name: string) => parseSamples(text, name).reduce((n, x) => n + x.value, 0);
    expect(sum('cascade_model_attempts_total')).toBe(second.attempts);
    expect(sum('cascade_cost_usd_total')).toBeCloseTo(second.costUsd, 12);
    expect(sum('cascade_requests_total')).toBe(1);
  });
});
