/**
 * The ledger's window reads for the monitors (listFeedback, costsByPurpose, listRetriesOf) and
 * buildReport on top of them, against SQLite and PostgreSQL alike (test/helpers/ledgers.ts).
 */
import { afterAll, expect, it } from 'vitest';
import { outcomeFromTrace } from '../../src/request/ledger/outcome';
import type { Ledger } from '../../src/request/ledger/types';
import { buildReport } from '../../src/watch/monitors/build-report';
import { fakeMeta, fakeTrace, type FakeOptions } from '../helpers/fake-trace';
import { describeEachLedger, freshLedger } from '../helpers/ledgers';
import { config } from './monitors-fixtures';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 0, 15, 12);
const WINDOW = { from: T0, to: T0 + HOUR };
const LINK = { retryWindowMs: 10 * MIN };

/**
 * A fake outcome, optionally with a self-check call of `selfCheckUsd` on the small rung and a
 * first small-model attempt lost with its worker, priced by estimate at `lostUsd`.
 */
function outcome(o: FakeOptions & { selfCheckUsd?: number; lostUsd?: number }) {
  const trace = fakeTrace(o);
  if (o.lostUsd !== undefined) {
    const small = trace.calls.find((c) => c.model === 'small' && c.purpose === 'answer')!;
    small.attempts.unshift({
      attempt: 0,
      ok: false,
      errorClass: 'lost',
      status: null,
      latencyMs: 900,
      tokensIn: 100,
      tokensOut: 0,
      costUsd: o.lostUsd,
      estimated: true,
      error: 'the worker running this call died before it returned',
    });
    small.attempts.forEach((a, i) => (a.attempt = i + 1));
    trace.totals.costUsd += o.lostUsd;
  }
  if (o.selfCheckUsd !== undefined) {
    trace.calls.push({
      rung: 0,
      model: 'small',
      purpose: 'self_check',
      attempts: [
        {
          attempt: 1,
          ok: true,
          errorClass: null,
          status: 200,
          latencyMs: 40,
          tokensIn: 130,
          tokensOut: 1,
          costUsd: o.selfCheckUsd,
        },
      ],
    });
    trace.totals.costUsd += o.selfCheckUsd;
  }
  return outcomeFromTrace(trace, fakeMeta(o));
}

describeEachLedger('ledger window reads', (backend) => {
  const open: Ledger[] = [];
  afterAll(async () => {
    for (const l of open) await l.close().catch(() => undefined);
    await backend.cleanup();
  });

  async function seeded(): Promise<Ledger> {
    const { ledger } = await freshLedger(backend);
    open.push(ledger);
    const rec = (o: Parameters<typeof outcome>[0]) => ledger.record(outcome(o), LINK);
    await rec({ id: 'before', startedAt: T0 - MIN });
    await rec({ id: 'in-1', startedAt: T0 + MIN, selfCheckUsd: 0.0003 });
    await rec({ id: 'in-1', shadowOf: 'in-1', startedAt: T0 + MIN });
    await rec({
      id: 'in-2',
      startedAt: T0 + 2 * MIN,
      escalate: true,
      caller: 'svc',
      prompt: 'same question',
      lostUsd: 0.0004,
    });
    // an automatic retry of in-2 inside the window, an explicit one of in-1 after it
    await rec({ id: 'in-3', startedAt: T0 + 5 * MIN, caller: 'svc', prompt: 'same question' });
    await rec({ id: 'after-retry', startedAt: T0 + HOUR + 5 * MIN, retryOf: 'in-1' });
    await rec({ id: 'at-end', startedAt: T0 + HOUR });
    await ledger.addFeedback('before', { score: 1 }, T0);
    await ledger.addFeedback('in-1', { score: 0, source: 'eval' }, T0 + 3 * MIN);
    await ledger.addFeedback('in-1', { score: 1, source: 'eval' }, T0 + 4 * MIN);
    await ledger.addFeedback('in-2', { score: 0.5 }, T0 + 6 * MIN);
    await ledger.addFeedback('at-end', { score: 1 }, T0 + HOUR + MIN);
    return ledger;
  }

  it('listFeedback: the events of requests started in the range, by request then id', async () => {
    const ledger = await seeded();
    const fb = await ledger.listFeedback(WINDOW);
    expect(fb.map((f) => [f.requestId, f.score, f.source])).toEqual([
      ['in-1', 0, 'eval'],
      ['in-1', 1, 'eval'],
      ['in-2', 0.5, 'api'],
    ]);
    expect(fb[0]!.id).toBeLessThan(fb[1]!.id);
    expect(fb[1]!.createdAt).toBe(T0 + 4 * MIN);
    expect((await ledger.listFeedback()).length).toBe(5);
    expect(await ledger.listFeedback({ from: T0 + HOUR + 10 * MIN })).toEqual([]);
  });

  it('costsByPurpose: model calls per request, purpose and model', async () => {
    const ledger = await seeded();
    const calls = await ledger.costsByPurpose(WINDOW);
    const pick = (id: string) =>
      calls.filter((c) => c.requestId === id).map((c) => ({ ...c, requestId: undefined }));
    // in-1: the small answer (a 429 then a success) and a self-check
    expect(pick('in-1')).toEqual([
      {
        requestId: undefined,
        purpose: 'answer',
        model: 'small',
        attempts: 2,
        okAttempts: 1,
        costUsd: 0.001,
        tokensIn: 100,
        tokensOut: 20,
        estimatedAttempts: 0,
        estimatedCostUsd: 0,
      },
      {
        requestId: undefined,
        purpose: 'self_check',
        model: 'small',
        attempts: 1,
        okAttempts: 1,
        costUsd: 0.0003,
        tokensIn: 130,
        tokensOut: 1,
        estimatedAttempts: 0,
        estimatedCostUsd: 0,
      },
    ]);
    expect(pick('in-1:shadow').map((c) => [c.purpose, c.model])).toEqual([['shadow', 'small']]);
    // in-2: its small answer's first execution was lost with its worker, priced by estimate
    expect(
      pick('in-2').map((c) => [c.purpose, c.model, c.costUsd, c.estimatedAttempts, c.estimatedCostUsd]),
    ).toEqual([
      ['answer', 'large', 0.02, 0, 0],
      ['answer', 'small', 0.0014, 1, 0.0004],
    ]);
    expect(new Set(calls.map((c) => c.requestId))).toEqual(new Set(['in-1', 'in-1:shadow', 'in-2', 'in-3']));
  });

  it('listRetriesOf: retries of the range requests, started whenever', async () => {
    const ledger = await seeded();
    const retries = await ledger.listRetriesOf(WINDOW);
    expect(retries.map((r) => [r.id, r.retryOf, r.retryLink])).toEqual([
      ['in-3', 'in-2', 'auto'],
      ['after-retry', 'in-1', 'explicit'],
    ]);
    expect(await ledger.listRetriesOf({ from: T0 + HOUR })).toEqual([]);
  });

  it('buildReport reads the window, its retries and the reference', async () => {
    const ledger = await seeded();
    const report = await buildReport(ledger, {
      window: WINDOW,
      reference: { from: T0 - HOUR, to: T0 },
      config: config({ minRequests: 1 }),
      now: T0 + HOUR,
    });
    expect(report).toMatchObject({
      generatedAt: T0 + HOUR,
      window: WINDOW,
      reference: { kind: 'window', window: { from: T0 - HOUR, to: T0 } },
      requests: 3,
      shadowRequests: 1,
    });
    expect(report.escalation.overall).toMatchObject({ n: 3, k: 1 });
    expect(report.costs.router.selfCheckUsd).toBeCloseTo(0.0003, 12);
    expect(report.costs.modelCostUsd).toBeCloseTo(0.0013 + 0.0214 + 0.001, 12);
    // what of it is an estimate: in-2's lost call, and nothing of the shadow child's
    expect(report.costs.estimated.attempts).toBe(1);
    expect(report.costs.estimated.costUsd).toBeCloseTo(0.0004, 12);
    expect(report.costs.baselineCostUsd).toBeCloseTo(3 * 0.02, 12);
    // the two retries: in-3 (in the window) and after-retry (after it)
    expect(report.costs.retryCostUsd).toBeCloseTo(2 * (0.001 + 7 * 0.000025), 12);
    expect(report.retries).toMatchObject([{ task: 'mmlu', small: { n: 2, k: 1 }, large: { n: 1, k: 1 } }]);
    expect(report.quality[0]).toMatchObject({
      small: { withFeedback: 1, meanScore: 1 },
      escalated: { withFeedback: 1, meanScore: 0.5 },
    });
    // the default reference: the referenceMs before the window
    const dflt = await buildReport(ledger, {
      window: WINDOW,
      config: config({ referenceMs: 2 * MIN }),
      now: T0 + HOUR,
    });
    expect(dflt.reference).toEqual({ kind: 'window', window: { from: T0 - 2 * MIN, to: T0 } });
    expect(dflt.drift.outcomes.find((o) => o.model === 'small')!.accuracy!.reference).toMatchObject({
      n: 1,
      k: 1,
    });
  });
});
