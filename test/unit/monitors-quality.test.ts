/**
 * quality_delta (small path vs escalated, from feedback) and retry_amplification (user retries of
 * small-served vs large-served answers) on synthetic streams.
 */
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { Report } from '../../src/watch/monitors/types';
import { config, requestRow, stream, WINDOW, type Stream } from './monitors-fixtures';

const cfg = config();

function report(current: Stream): Report {
  return computeReport(
    { current, retries: current.retries, reference: null },
    { window: WINDOW, reference: null, config: cfg },
  );
}
const alertsOf = (r: Report, m: string) => r.alerts.filter((a) => a.monitor === m);

describe('quality_delta', () => {
  it('too aggressive: small answers clearly worse than escalated ones', () => {
    const s = stream({
      window: WINDOW,
      n: 600,
      seed: 1,
      hardShare: 0.4,
      escalateHard: 0.3, // most hard requests stay on the small model ...
      smallCorrectEasy: 0.7,
      smallCorrectHard: 0.35, // ... which gets them wrong
      largeCorrect: 0.95,
      feedbackRate: 0.8,
    });
    const r = report(s);
    const row = r.quality[0]!;
    expect(row).toMatchObject({ task: 'qa', taskType: 'general', verdict: 'too_aggressive' });
    expect(row.delta!).toBeLessThan(-0.2);
    expect(row.small.withFeedback + row.escalated.withFeedback).toBeGreaterThan(400);
    expect(row.small.high!).toBeLessThan(row.escalated.low!);
    const [a] = alertsOf(r, 'quality_delta');
    expect(a).toMatchObject({ key: 'qa/general', severity: 'critical', threshold: -cfg.quality.tolerance });
    expect(a!.evidence.deltaHigh as number).toBeLessThan(-cfg.quality.tolerance);
    expect(a!.message).toMatch(/too aggressive/);
  });

  it('ok when the small path is as good and escalations are few', () => {
    const s = stream({
      window: WINDOW,
      n: 600,
      seed: 2,
      hardShare: 0.2,
      smallCorrectEasy: 0.9,
      smallCorrectHard: 0.9,
      largeCorrect: 0.9,
      feedbackRate: 0.8,
    });
    const r = report(s);
    expect(r.quality[0]!.verdict).toBe('ok');
    expect(alertsOf(r, 'quality_delta')).toEqual([]);
  });

  it('too conservative: the small path is not worse and half the requests escalate', () => {
    const s = stream({
      window: WINDOW,
      n: 600,
      seed: 3,
      hardShare: 0.5,
      escalateEasy: 0.5,
      escalateHard: 0.5,
      smallCorrectEasy: 0.9,
      smallCorrectHard: 0.9,
      largeCorrect: 0.9,
      feedbackRate: 0.8,
    });
    const r = report(s);
    expect(r.quality[0]!.verdict).toBe('too_conservative');
    const [a] = alertsOf(r, 'quality_delta');
    expect(a).toMatchObject({ severity: 'warning', threshold: cfg.quality.conservativeEscalationRate });
    expect(a!.value).toBeGreaterThan(0.3);
  });

  it('insufficient without enough feedback; shadow agreement from shadow children', () => {
    const s = stream({ window: WINDOW, n: 200, seed: 4, hardShare: 0.2, feedbackRate: 0.05 });
    const shadows = Array.from({ length: 40 }, (_, i) =>
      requestRow({ id: `p${i}:shadow`, shadow: true, shadowOf: `p${i}`, shadowAgreed: i % 4 !== 0 }),
    );
    const r = report({ ...s, requests: [...s.requests, ...shadows] });
    const row = r.quality[0]!;
    expect(row.verdict).toBe('insufficient');
    expect(row.shadowAgreement).toMatchObject({ n: 40, k: 30, rate: 0.75 });
    expect(alertsOf(r, 'quality_delta')).toEqual([]);
  });
});

describe('retry_amplification', () => {
  it('alerts when users retry small-path answers far more often', () => {
    const s = stream({ window: WINDOW, n: 800, seed: 5, hardShare: 0.3, retrySmall: 0.15, retryLarge: 0.03 });
    const r = report(s);
    const row = r.retries[0]!;
    expect(row.small.n + row.large.n).toBe(800);
    expect(row.amplification!).toBeGreaterThan(cfg.retries.maxAmplification);
    expect(row.extraRequests).toBeCloseTo(row.small.k - row.small.n * row.large.rate!, 9);
    expect(row.extraCostUsd).toBeGreaterThan(0);
    const [a] = alertsOf(r, 'retry_amplification');
    expect(a).toMatchObject({ key: 'qa', threshold: cfg.retries.maxAmplification });
    expect(a!.evidence.pValue as number).toBeLessThan(0.01);
    // retries started after the window count: they are what the ledger's listRetriesOf returns
    expect(r.costs.retryCostUsd).toBeGreaterThan(0);
  });

  it('stays quiet when both paths are retried alike', () => {
    for (let seed = 10; seed < 20; seed++) {
      const r = report(
        stream({ window: WINDOW, n: 300, seed, hardShare: 0.3, retrySmall: 0.05, retryLarge: 0.05 }),
      );
      expect(alertsOf(r, 'retry_amplification'), `seed ${seed}`).toEqual([]);
    }
  });
});
