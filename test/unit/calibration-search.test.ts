import { describe, expect, it } from 'vitest';
import { PairedBootstrap, quantileOf } from '../../src/tools/calibrate/bootstrap';
import { seededRandom } from '../../src/request/router/random';
import { searchPolicy } from '../../src/tools/calibrate/search';
import {
  replayRequest,
  replaySummary,
  type RecordedOutcome,
  type ReplayRow,
  type RungPolicy,
} from '../../src/tools/calibrate/simulate';
import { confidenceStands, decideRung, shouldSkipRung } from '../../src/request/router/rung-decision';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const identity = { kind: 'identity' as const };

function outcome(
  correct: boolean,
  raw: number | null,
  answerCostUsd: number,
  checkCostUsd = 0,
): RecordedOutcome {
  return { correct, raw, costUsd: answerCostUsd + checkCostUsd, answerCostUsd };
}

function rung(model: string, over: Partial<RungPolicy> = {}): RungPolicy {
  return { model, source: 'answer_logprob', calibration: identity, threshold: 0.5, skip: null, ...over };
}

describe('the rung decision (shared by the workflow and the replay)', () => {
  it('skips only non-last rungs, on a rule, with a prediction for `below`', () => {
    expect(shouldSkipRung({ kind: 'always' }, null, 0, 2)).toBe(true);
    expect(shouldSkipRung({ kind: 'always' }, null, 1, 2)).toBe(false);
    expect(shouldSkipRung({ kind: 'below', predicted: 0.4 }, 0.3, 0, 2)).toBe(true);
    expect(shouldSkipRung({ kind: 'below', predicted: 0.4 }, 0.4, 0, 2)).toBe(false);
    expect(shouldSkipRung({ kind: 'below', predicted: 0.4 }, null, 0, 2)).toBe(false); // cold start
    expect(shouldSkipRung(undefined, 0, 0, 2)).toBe(false); // older snapshots
  });

  it('stands or escalates: schema first, then confidence; the last rung always stands', () => {
    expect(confidenceStands(0.7, 0.7)).toBe(true);
    expect(confidenceStands(null, 0)).toBe(false);
    expect(decideRung({ isLast: true, schemaValid: false, confidencePassed: false })).toEqual({
      action: 'stand',
    });
    expect(decideRung({ isLast: false, schemaValid: false, confidencePassed: false })).toEqual({
      action: 'escalate',
      reason: 'schema_invalid',
    });
    expect(decideRung({ isLast: false, schemaValid: true, confidencePassed: false })).toEqual({
      action: 'escalate',
      reason: 'low_confidence',
    });
    expect(decideRung({ isLast: false, schemaValid: null, confidencePassed: null })).toEqual({
      action: 'stand',
    });
  });
});

describe('replaying a recorded request (billing as the workflow bills)', () => {
  // Small: answer 1, self-check 1.2 (the data's cost_usd holds both); large: answer 10.
  const row: ReplayRow = {
    outcomes: [outcome(true, Math.log(0.9), 1, 1.2), outcome(false, null, 10)],
    predicted: [0.2, null],
  };

  it('a confident small answer stands: the answer and its self-check are billed', () => {
    const r = replayRequest(
      [rung('s', { source: 'self_check', threshold: 0.8 }), rung('l', { source: null })],
      row,
    );
    expect(r).toEqual({ served: 0, correct: true, costUsd: 2.2, escalated: false, skipped: 0 });
  });

  it('an escalation pays double: the small call and check are wasted, the large answer is billed alone', () => {
    const r = replayRequest(
      [rung('s', { source: 'self_check', threshold: 0.95 }), rung('l', { source: null })],
      row,
    );
    expect(r).toEqual({ served: 1, correct: false, costUsd: 12.2, escalated: true, skipped: 0 });
  });

  it('a skipped rung costs nothing and is not an escalation', () => {
    const always = replayRequest([rung('s', { skip: { kind: 'always' } }), rung('l', { source: null })], row);
    expect(always).toEqual({ served: 1, correct: false, costUsd: 10, escalated: false, skipped: 1 });
    const below = replayRequest(
      [rung('s', { skip: { kind: 'below', predicted: 0.25 } }), rung('l', { source: null })],
      row,
    );
    expect(below.served).toBe(1);
    const notBelow = replayRequest(
      [rung('s', { skip: { kind: 'below', predicted: 0.15 }, threshold: 0 }), rung('l', { source: null })],
      row,
    );
    expect(notBelow.served).toBe(0);
  });

  it('a rung with no confidence source stands unchecked, billed its answer only', () => {
    const r = replayRequest([rung('s', { source: null, threshold: null }), rung('l', { source: null })], row);
    expect(r).toEqual({ served: 0, correct: true, costUsd: 1, escalated: false, skipped: 0 });
  });
});

describe('the bound (paired percentile bootstrap of relative quality)', () => {
  it('is reproducible from its seed', () => {
    const x = Float64Array.from({ length: 50 }, (_, i) => i % 3);
    expect(new PairedBootstrap(50, 200, 9).sums(x)).toEqual(new PairedBootstrap(50, 200, 9).sums(x));
    expect(new PairedBootstrap(50, 200, 9).sums(x)).not.toEqual(new PairedBootstrap(50, 200, 10).sums(x));
  });

  it('holds its confidence: a policy truly below the target rarely clears the bound', () => {
    // True relative quality 0.95 (5% of the large model's right answers lost, no gains); target 0.97.
    const target = 0.97;
    let cleared = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const rnd = seededRandom(1000 + t);
      const n = 300;
      const l = new Float64Array(n);
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        l[i] = rnd() < 0.85 ? 1 : 0;
        c[i] = l[i]! && rnd() >= 0.05 ? 1 : 0;
      }
      const boot = new PairedBootstrap(n, 400, t);
      const lb = quantileOf(boot.ratios(c, l), 0.05);
      if (lb >= target) cleared++;
    }
    expect(cleared / trials).toBeLessThan(0.1);
  });
});

/** A 2- or 3-rung labelled set: each cheaper rung's confidence predicts its correctness. */
function ladderRows(
  n: number,
  seed: number,
  spec: { acc: (x: number) => number; cost: number; check?: number }[],
) {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (): ReplayRow => {
    const outcomes = spec.map((s, i) => {
      const x = -4 * rnd();
      const correct = rnd() < s.acc(x);
      return outcome(correct, i < spec.length - 1 ? x : null, s.cost, s.check ?? 0);
    });
    return { outcomes, predicted: spec.map(() => null) };
  });
}

const LARGE = { acc: () => 0.92, cost: 20 };

describe('threshold search with a guarantee', () => {
  const policyOf = (
    rungs: RungPolicy[],
    choice: { thresholds: (number | null)[]; skips: RungPolicy['skip'][] },
  ) =>
    rungs.map((r, i) => ({ ...r, threshold: choice.thresholds[i] ?? null, skip: choice.skips[i] ?? null }));

  it('2 rungs: the chosen thresholds clear the target on the bound; the baseline only on the point estimate', () => {
    const rows = ladderRows(600, 1, [{ acc: (x) => sigmoid(2.5 * x + 5), cost: 1, check: 1 }, LARGE]);
    const rungs = [rung('small', { source: 'self_check' }), rung('large', { source: null })];
    const res = searchPolicy({ rungs, rows, target: 0.97, confidence: 0.95, resamples: 500, seed: 1 });
    expect(res.chosen.lowerBound).toBeGreaterThanOrEqual(0.97);
    expect(res.chosen.relativeQuality).toBeGreaterThanOrEqual(res.chosen.lowerBound);
    expect(res.chosen.relativeCost).toBeLessThan(1);
    expect(res.recommendation.route).toBe('cascade');
    expect(res.baseline.relativeQuality).toBeGreaterThanOrEqual(0.97);
    expect(res.baseline.relativeCost).toBeLessThanOrEqual(res.chosen.relativeCost);
    // Intervals bracket the estimates; savings = 1 - cost.
    const [lo, hi] = res.chosen.intervals.savings;
    expect(lo).toBeLessThanOrEqual(1 - res.chosen.relativeCost);
    expect(hi).toBeGreaterThanOrEqual(1 - res.chosen.relativeCost);
    // The replay of the chosen policy gives the figures the search reported.
    const replayed = replaySummary(policyOf(rungs, res.chosen), rows);
    expect(replayed.relativeQuality).toBeCloseTo(res.chosen.relativeQuality, 12);
    expect(replayed.relativeCost).toBeCloseTo(res.chosen.relativeCost, 12);
    expect(replayed.escalationRate).toBeCloseTo(res.chosen.escalationRate, 12);
    // The curve is a frontier: cost up, quality up.
    for (let i = 1; i < res.frontier.length; i++) {
      expect(res.frontier[i]!.relativeCost).toBeGreaterThanOrEqual(res.frontier[i - 1]!.relativeCost);
      expect(res.frontier[i]!.relativeQuality).toBeGreaterThan(res.frontier[i - 1]!.relativeQuality);
    }
  });

  it('3 rungs: uses the middle rung when it is cheap and good', () => {
    const rows = ladderRows(600, 2, [
      { acc: (x) => sigmoid(2 * x + 3), cost: 1 },
      { acc: (x) => sigmoid(3 * x + 9), cost: 3 },
      LARGE,
    ]);
    const rungs = [rung('small'), rung('mid'), rung('large', { source: null })];
    const res = searchPolicy({ rungs, rows, target: 0.97, confidence: 0.95, resamples: 400, seed: 2 });
    expect(res.chosen.thresholds).toHaveLength(3);
    expect(res.chosen.lowerBound).toBeGreaterThanOrEqual(0.97);
    expect(res.chosen.skips[1]?.kind).not.toBe('always');
    expect(res.chosen.relativeCost).toBeLessThan(0.6);
    expect(res.staticOptions.map((s) => s.model)).toEqual(['small', 'mid', 'large']);
    const replayed = replaySummary(policyOf(rungs, res.chosen), rows);
    expect(replayed.relativeCost).toBeCloseTo(res.chosen.relativeCost, 12);
  });

  it('says "static" with the large model when nothing saves money at the target', () => {
    // The small model is right half the time and its confidence says nothing about when.
    const rows = ladderRows(400, 3, [{ acc: () => 0.5, cost: 8, check: 8 }, LARGE]);
    const res = searchPolicy({
      rungs: [rung('small', { source: 'self_check' }), rung('large', { source: null })],
      rows,
      target: 0.97,
      confidence: 0.95,
      resamples: 400,
    });
    expect(res.recommendation).toMatchObject({ route: 'static', model: 'large' });
    expect(res.recommendation.reason).toMatch(/no policy saves money/);
    expect(res.chosen.skips[0]).toEqual({ kind: 'always' });
    expect(res.chosen.relativeCost).toBe(1);
    expect(res.chosen.lowerBound).toBe(1);
  });

  it('says "static" with the small model when it alone keeps the target', () => {
    const rows = ladderRows(800, 4, [
      { acc: () => 0.995, cost: 1 },
      { acc: () => 0.9, cost: 20 },
    ]);
    const res = searchPolicy({
      rungs: [rung('small'), rung('large', { source: null })],
      rows,
      target: 0.97,
      confidence: 0.95,
      resamples: 400,
    });
    expect(res.recommendation).toMatchObject({ route: 'static', model: 'small' });
  });
});
