/**
 * The report's spend section on hand-made rows: by model (every call billed, shadow children
 * apart), by tenant, a month at the window's pace, and the previous period beside the current.
 */
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { PurposeCost } from '../../src/request/ledger/types';
import { config, HOUR, REFERENCE, requestRow, WINDOW } from './monitors-fixtures';

const call = (requestId: string, model: string, costUsd: number, attempts = 1): PurposeCost => ({
  requestId,
  purpose: 'answer',
  model,
  attempts,
  okAttempts: 1,
  costUsd,
  tokensIn: 10,
  tokensOut: 1,
  estimatedAttempts: 0,
  estimatedCostUsd: 0,
});

describe('the spend section', () => {
  const at = WINDOW.from + 1000;
  const a = requestRow({
    id: 'a',
    startedAt: at,
    tenant: 'acme',
    costUsd: 0.001,
    baselineCostUsd: 0.01,
    orchestrationCostUsd: 0.0001,
  });
  const b = requestRow({
    id: 'b',
    startedAt: at,
    tenant: 'acme',
    escalated: true,
    finalRung: 1,
    finalModel: 'large',
    costUsd: 0.011,
    baselineCostUsd: 0.01,
    orchestrationCostUsd: 0.0001,
  });
  const c = requestRow({
    id: 'c',
    startedAt: at,
    tenant: null,
    costUsd: 0.002,
    baselineCostUsd: 0.01,
    orchestrationCostUsd: 0.0001,
  });
  const shadow = requestRow({ id: 'a:shadow', startedAt: at, shadow: true, shadowOf: 'a', costUsd: 5 });
  const old = requestRow({
    id: 'old',
    startedAt: REFERENCE.from + 1000,
    costUsd: 0.01,
    baselineCostUsd: 0.01,
    orchestrationCostUsd: 0.0001,
  });
  const calls = [
    call('a', 'small', 0.001),
    call('b', 'small', 0.001),
    call('b', 'large', 0.01, 2),
    call('c', 'small', 0.002),
    call('a:shadow', 'large', 5),
  ];

  const report = computeReport(
    {
      current: { window: WINDOW, requests: [a, b, c, shadow], feedback: [], calls },
      retries: [],
      reference: { window: REFERENCE, requests: [old], feedback: [], calls: [call('old', 'large', 0.01)] },
    },
    { window: WINDOW, reference: REFERENCE, config: config({ minRequests: 1 }) },
  );
  const s = report.spend!;

  it('sums spend by model over every call of served requests, most expensive first', () => {
    expect(s.byModel.map((m) => [m.model, m.attempts])).toEqual([
      ['large', 2],
      ['small', 3],
    ]);
    expect(s.byModel[0]!.costUsd).toBeCloseTo(0.01, 12);
    expect(s.byModel[1]!.costUsd).toBeCloseTo(0.004, 12);
  });

  it('sums spend and net savings by tenant, requests with no tenant apart', () => {
    expect(s.byTenant.map((t) => [t.tenant, t.requests])).toEqual([
      ['acme', 2],
      [null, 1],
    ]);
    expect(s.byTenant[0]!.costUsd).toBeCloseTo(0.012, 12);
    expect(s.byTenant[0]!.netSavingsUsd).toBeCloseTo(0.02 - 0.012 - 0.0002, 12);
  });

  it('projects a month at the window’s pace and puts the previous period beside it', () => {
    const spanHours = (WINDOW.to - WINDOW.from) / HOUR;
    const scale = (30 * 24) / spanHours;
    expect(s.current.requests).toBe(3);
    expect(s.monthly.requests).toBeCloseTo(3 * scale, 9);
    expect(s.monthly.costUsd).toBeCloseTo((0.014 + 0.0003) * scale, 9);
    expect(s.monthly.netSavingsUsd).toBeCloseTo(s.current.netSavingsUsd * scale, 9);
    expect(s.previous).toMatchObject({ window: REFERENCE, requests: 1 });
    expect(s.previous!.modelCostUsd).toBeCloseTo(0.01, 12);
  });
});
