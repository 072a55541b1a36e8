/**
 * The cost layers (exact arithmetic on hand-made rows), the router_cost and net_savings alerts on
 * a healthy router, and on routers made unprofitable on purpose: orchestration priced high
 * (dominant loss: orchestration) and thresholds that escalate (nearly) everything.
 */
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { Report } from '../../src/watch/monitors/types';
import { config, requestRow, stream, WINDOW, type Stream } from './monitors-fixtures';

const cfg = config();

function report(current: Stream, c = cfg): Report {
  return computeReport(
    { current, retries: current.retries, reference: null },
    { window: WINDOW, reference: null, config: c },
  );
}
const alertsOf = (r: Report, m: string) => r.alerts.filter((a) => a.monitor === m);

describe('cost layers', () => {
  it('sums the layers as types.ts defines them', () => {
    const a = requestRow({
      id: 'a',
      startedAt: WINDOW.from + 1000,
      costUsd: 0.00025,
      baselineCostUsd: 0.004,
      orchestrationCostUsd: 0.00015,
      decisionMs: 1.5,
    });
    const b = requestRow({
      id: 'b',
      startedAt: WINDOW.from + 2_000_000,
      escalated: true,
      finalRung: 1,
      finalModel: 'large',
      costUsd: 0.00435,
      wastedCostUsd: 0.0002,
      baselineCostUsd: 0.004,
      orchestrationCostUsd: 0.00015,
      decisionMs: 3,
    });
    const shadow = requestRow({
      id: 'a:shadow',
      shadow: true,
      shadowOf: 'a',
      costUsd: 1,
      baselineCostUsd: 1,
    });
    const retry = requestRow({
      id: 'a2',
      startedAt: WINDOW.to + 5,
      costUsd: 0.00025,
      orchestrationCostUsd: 0.00015,
      retryOf: 'a',
    });
    const call = (requestId: string, purpose: 'answer' | 'self_check' | 'judge', costUsd: number) => ({
      requestId,
      purpose,
      model: 'small',
      attempts: 1,
      okAttempts: 1,
      estimatedAttempts: 0,
      estimatedCostUsd: 0,
      costUsd,
      tokensIn: 10,
      tokensOut: 1,
    });
    const r = report({
      window: WINDOW,
      requests: [a, b, shadow],
      feedback: [],
      calls: [
        call('a', 'answer', 0.0002),
        call('a', 'self_check', 0.00005),
        call('b', 'self_check', 0.00005),
        call('b', 'judge', 0.0001),
      ],
      retries: [retry],
    });
    const decision = (4.5 * 0.05) / 3.6e6;
    expect(r.requests).toBe(2);
    expect(r.shadowRequests).toBe(1);
    const c = r.costs;
    expect(c.baselineCostUsd).toBeCloseTo(0.008, 12);
    expect(c.modelCostUsd).toBeCloseTo(0.0046, 12);
    expect(c.wastedCostUsd).toBeCloseTo(0.0002, 12);
    expect(c.router.selfCheckUsd).toBeCloseTo(0.0002, 12);
    expect(c.router.orchestrationUsd).toBeCloseTo(0.0003, 12);
    expect(c.router.decisionUsd).toBeCloseTo(decision, 15);
    expect(c.router.totalUsd).toBeCloseTo(0.0005 + decision, 12);
    expect(c.retryCostUsd).toBeCloseTo(0.0004, 12);
    expect(c.grossSavingsUsd).toBeCloseTo(0.008 - (0.0046 - 0.0002), 12);
    expect(c.netSavingsUsd).toBeCloseTo(0.008 - 0.0046 - 0.0003 - decision, 12);
    expect(c.routerCostFraction!).toBeCloseTo((0.0005 + decision) / 0.0036, 10);
    expect(c.dominantLoss).toBeNull();
    // the series: six sub-windows whose sums are the totals
    expect(r.series).toHaveLength(6);
    expect(r.series.map((p) => p.requests)).toEqual([1, 0, 0, 1, 0, 0]);
    expect(r.series.reduce((s, p) => s + p.netSavingsUsd, 0)).toBeCloseTo(c.netSavingsUsd, 12);
    expect(r.series.reduce((s, p) => s + p.routerCostUsd, 0)).toBeCloseTo(c.router.totalUsd, 12);
    expect(r.series[3]).toMatchObject({ at: WINDOW.from + 3 * r.bucketMs, escalated: 1 });
  });

  it('a healthy router: positive net savings, no cost alerts', () => {
    const r = report(stream({ window: WINDOW, n: 300, seed: 1, hardShare: 0.2 }));
    expect(r.costs.netSavingsUsd).toBeGreaterThan(0);
    expect(r.costs.routerCostFraction!).toBeLessThan(cfg.routerCost.maxFraction);
    expect(r.costs.dominantLoss).toBeNull();
    expect(alertsOf(r, 'net_savings')).toEqual([]);
    expect(alertsOf(r, 'router_cost')).toEqual([]);
  });

  it('orchestration priced high: net negative, dominant loss orchestration, router cost over its share', () => {
    // 6 actions at $0.002: $0.012 of orchestration per request against a $0.004 baseline answer
    const r = report(stream({ window: WINDOW, n: 300, seed: 2, hardShare: 0.2, costPerAction: 0.002 }));
    expect(r.costs.grossSavingsUsd).toBeGreaterThan(0);
    expect(r.costs.netSavingsUsd).toBeLessThan(0);
    expect(r.costs.dominantLoss).toBe('orchestration');
    const [net] = alertsOf(r, 'net_savings');
    expect(net).toMatchObject({
      key: 'net',
      severity: 'critical',
      threshold: 0,
      evidence: { dominantLoss: 'orchestration' },
    });
    expect(net!.value).toBeCloseTo(r.costs.netSavingsUsd, 12);
    expect(net!.message).toMatch(/routing lost \$\d.* over 300 requests .*dominant loss: orchestration/);
    expect(net!.recommendation).toMatch(/orchestration/);
    const [rc] = alertsOf(r, 'router_cost');
    expect(rc).toMatchObject({ key: 'router', evidence: { largestRouterLayer: 'orchestration' } });
    expect(rc!.value).toBeGreaterThan(1); // the router costs more than routing saves
  });

  it('thresholds escalating everything: no savings to protect, net negative', () => {
    const r = report(
      stream({ window: WINDOW, n: 300, seed: 3, hardShare: 0.3, escalateEasy: 1, escalateHard: 1 }),
    );
    expect(r.costs.netSavingsUsd).toBeLessThan(0);
    expect(r.costs.dominantLoss).toBe('no_savings');
    expect(alertsOf(r, 'net_savings').map((a) => a.evidence.dominantLoss)).toEqual(['no_savings']);
    expect(alertsOf(r, 'router_cost')).toMatchObject([{ severity: 'critical', threshold: 0 }]);
  });

  it('thresholds escalating nearly everything with dear small answers: the wasted answers are the loss', () => {
    const r = report(
      stream({
        window: WINDOW,
        n: 300,
        seed: 4,
        hardShare: 0.3,
        escalateEasy: 0.9,
        escalateHard: 1,
        smallCostUsd: 0.001,
      }),
    );
    expect(r.costs.netSavingsUsd).toBeLessThan(0);
    expect(r.costs.dominantLoss).toBe('wasted');
    expect(alertsOf(r, 'net_savings')[0]!.message).toMatch(/dominant loss: wasted/);
  });

  it('no alert without routing (a static route) or below minRequests', () => {
    const s = stream({ window: WINDOW, n: 300, seed: 5, hardShare: 0.2, costPerAction: 0.002 });
    const staticRoute = { ...s, requests: s.requests.map((x) => ({ ...x, route: 'static' })) };
    expect(report(staticRoute).alerts).toEqual([]);
    expect(
      report(stream({ window: WINDOW, n: 20, seed: 5, hardShare: 0.2, costPerAction: 0.002 })).alerts,
    ).toEqual([]);
  });
});
