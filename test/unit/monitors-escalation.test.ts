/**
 * escalation_rate on synthetic streams with binomial noise (n of 100-300 per window): quiet on a
 * steady stream whatever the seed, alerting when the share of hard requests in the policy's
 * stream rises, not on a single burst, and "insufficient" below minRequests.
 */
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src/watch/monitors/compute-report';
import type { Report } from '../../src/watch/monitors/types';
import type { CalibrationArtefact } from '../../src/request/router/calibration/artefact';
import { config, merge, REFERENCE, stream, WINDOW, type Stream } from './monitors-fixtures';

const cfg = config();

function report(
  current: Stream,
  reference: Stream | null,
  calibrations?: Record<string, CalibrationArtefact>,
): Report {
  return computeReport(
    { current, retries: current.retries, reference },
    { window: WINDOW, reference: reference?.window ?? null, config: cfg, calibrations },
  );
}

const escalationAlerts = (r: Report) => r.alerts.filter((a) => a.monitor === 'escalation_rate');

/** hardShare 0.2, P(escalate) 0.8 hard / 0.1 easy: an expected rate of 0.24. */
const calibrated = {
  version: 'cal-0123456789ab',
  chosen: { escalationRate: 0.24, intervals: { escalationRate: [0.215, 0.265] } },
} as unknown as CalibrationArtefact;

describe('escalation_rate', () => {
  it('stays quiet on a steady stream, seed after seed (reference baseline and calibrated baseline)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const ref = stream({ window: REFERENCE, n: 2000, seed: 1000 + seed, hardShare: 0.2 });
      const cur = stream({ window: WINDOW, n: 100 + 7 * seed, seed, hardShare: 0.2 });
      const r = report(cur, ref);
      expect(escalationAlerts(r), `seed ${seed}`).toEqual([]);
      expect(r.escalation.rows).toHaveLength(1);
      expect(r.escalation.rows[0]).toMatchObject({ task: 'qa', taskType: 'general', status: 'ok' });
      expect(r.escalation.rows[0]!.baseline).toMatchObject({ source: 'reference' });
      expect(escalationAlerts(report(cur, null, { qa: calibrated })), `seed ${seed}`).toEqual([]);
    }
  });

  it('alerts when the share of hard requests in the stream rises, with the figures', () => {
    let fired = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const ref = stream({ window: REFERENCE, n: 2000, seed: 1000 + seed, hardShare: 0.2 });
      const cur = stream({ window: WINDOW, n: 200, seed, hardShare: 0.6 });
      const alerts = escalationAlerts(report(cur, ref));
      if (alerts.length) fired++;
      if (seed === 1) {
        expect(alerts).toHaveLength(1);
        const a = alerts[0]!;
        expect(a).toMatchObject({ monitor: 'escalation_rate', key: 'qa/general' });
        expect(a.value).toBeGreaterThan(a.threshold);
        expect(a.evidence).toMatchObject({ n: 200, baselineSource: 'reference' });
        expect(a.evidence.rate as number).toBeGreaterThan(0.4);
        expect(a.evidence.bucketsRisen as number).toBeGreaterThanOrEqual(3);
        expect(a.message).toMatch(/qa\/general: escalation rate \d+(\.\d+)?% \(\d+\/200/);
        expect(a.recommendation).toMatch(/cascade calibrate --train .* --ladder small,large/);
      }
    }
    expect(fired).toBe(10);
  });

  it('against a calibration artefact: the baseline is the artefact, the alert names its version', () => {
    const cur = stream({ window: WINDOW, n: 200, seed: 3, hardShare: 0.6 });
    const r = report(cur, null, { qa: calibrated });
    expect(r.reference).toEqual({ kind: 'calibration', version: 'cal-0123456789ab' });
    expect(r.escalation.rows[0]!.baseline).toEqual({
      rate: 0.24,
      low: 0.215,
      high: 0.265,
      source: 'calibration',
      ref: 'cal-0123456789ab',
    });
    expect(escalationAlerts(r).map((a) => a.evidence.baselineRef)).toEqual(['cal-0123456789ab']);
  });

  it('sees a mix shift between task types on the task row, where each type stays flat', () => {
    const types = { easyType: 'lookup', hardType: 'reasoning' };
    const ref = stream({ window: REFERENCE, n: 3000, seed: 11, hardShare: 0.2, ...types });
    const cur = stream({ window: WINDOW, n: 300, seed: 12, hardShare: 0.6, ...types });
    const r = report(cur, ref);
    expect(r.escalation.rows.map((x) => [x.taskType, x.status])).toEqual([
      ['*', 'alert'],
      ['lookup', 'ok'],
      ['reasoning', 'ok'],
    ]);
    expect(escalationAlerts(r).map((a) => a.key)).toEqual(['qa/*']);
    // and the same streams with the mix unchanged: nothing
    const steady = stream({ window: WINDOW, n: 300, seed: 12, hardShare: 0.2, ...types });
    expect(escalationAlerts(report(steady, ref))).toEqual([]);
  });

  it('does not alert on one burst: the rise must show in sustainedShare of the sub-windows', () => {
    const ref = stream({ window: REFERENCE, n: 2000, seed: 5, hardShare: 0.2 });
    const steady = stream({ window: WINDOW, n: 200, seed: 6, hardShare: 0.2 });
    // 120 hard requests in the first ten minutes only
    const burst = stream({
      window: { from: WINDOW.from, to: WINDOW.from + 600_000 },
      n: 120,
      seed: 7,
      hardShare: 1,
      escalateHard: 1,
      idPrefix: 'burst',
    });
    const r = report(merge(WINDOW, steady, burst), ref);
    const row = r.escalation.rows[0]!;
    // the window as a whole is well above the baseline ...
    expect(row.observed.low!).toBeGreaterThan(row.baseline!.high + cfg.escalation.margin);
    // ... but only one of six sub-windows is
    expect(row.buckets).toHaveLength(6);
    expect(row.status).toBe('ok');
    expect(escalationAlerts(r)).toEqual([]);
  });

  it('is insufficient below minRequests, and without a baseline', () => {
    const ref = stream({ window: REFERENCE, n: 2000, seed: 5, hardShare: 0.2 });
    const few = stream({ window: WINDOW, n: 20, seed: 8, hardShare: 1, escalateHard: 1 });
    expect(report(few, ref).escalation.rows[0]).toMatchObject({ status: 'insufficient' });
    expect(escalationAlerts(report(few, ref))).toEqual([]);
    const many = stream({ window: WINDOW, n: 200, seed: 8, hardShare: 0.6 });
    expect(report(many, null).escalation.rows[0]).toMatchObject({ baseline: null, status: 'insufficient' });
  });
});
