/**
 * The guarantee's statistics (src/router/calibration/guarantee.ts) and the ladder selection that
 * uses them (select.ts), on simulated rows: the p-value is exact (valid at the boundary of the
 * null, not just asymptotically), has power when a policy is clearly good, its lower bound inverts
 * it, fixed-sequence testing stops at the first failure, and the selection chooses the ladder
 * (a cheap model alone, a three-rung ladder, or nothing) from the rows it is given.
 */
import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  fixedSequenceTest,
  qualityLowerBound,
  qualityTest,
  thinningUniforms,
} from '../../src/router/calibration/guarantee';
import {
  ladderSubsets,
  type ModelRung,
  selectPolicy,
  type SelectRow,
} from '../../src/router/calibration/select';
import { seededRandom } from '../../src/router/random';

/** P(Binomial(n, p) >= k): how surprising k or more failures are at rate p. */
const upperTail = (k: number, n: number, p: number) => 1 - binomialCdf(k - 1, n, p);

/** n paired rows drawn with P(loss) = a, P(win) = b, P(both right) = c (the rest both wrong). */
function pairedRows(n: number, a: number, b: number, c: number, rnd: () => number) {
  const L = new Uint8Array(n);
  const P = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    if (u < a) L[i] = 1;
    else if (u < a + b) P[i] = 1;
    else if (u < a + b + c) L[i] = P[i] = 1;
  }
  return { L, P };
}

describe('the exact binomial tail', () => {
  it('is the sum of the binomial probabilities', () => {
    const choose = (n: number, k: number) => {
      let r = 1;
      for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
      return r;
    };
    for (const [k, n, p] of [
      [0, 10, 0.3],
      [3, 10, 0.3],
      [7, 20, 0.5076],
      [0, 98, 0.03],
      [2, 150, 0.03],
    ] as const) {
      let s = 0;
      for (let i = 0; i <= k; i++) s += choose(n, i) * p ** i * (1 - p) ** (n - i);
      expect(binomialCdf(k, n, p)).toBeCloseTo(s, 12);
    }
    expect(binomialCdf(-1, 5, 0.5)).toBe(0);
    expect(binomialCdf(5, 5, 0.5)).toBe(1);
    expect(binomialCdf(400, 2000, 0.2)).toBeGreaterThan(0.5);
  });
});

describe('the thinned binomial test of relative quality', () => {
  const target = 0.97;

  it('counts losses as debits, wins as credits, and both-right rows as credits with probability 1 - target', () => {
    const L = [1, 1, 0, 1, 1, 0];
    const P = [0, 1, 1, 1, 1, 0];
    const u = [0.5, 0.01, 0.5, 0.5, 0.02, 0.5];
    const t = qualityTest(L, P, u, target);
    expect(t).toMatchObject({ losses: 1, wins: 1, bothRight: 3, rows: 6, debits: 1, marked: 4 });
    expect(t.pValue).toBeCloseTo(binomialCdf(1, 4, 1 / (1 + target)), 15);
    // Above 1, both-right rows are debits instead (quality must exceed the reference's).
    const above = qualityTest(L, P, u, 1.2);
    expect(above.debits).toBe(1 + 2); // the loss, and the rows with u < 0.2 / 1.2
  });

  it('is exact: at the boundary of the null (quality exactly the target) it rejects at most delta of the time', () => {
    // Relative quality exactly 0.97: p_b + p_c = 0.97 (p_a + p_c).
    const a = 0.05;
    const c = 0.7;
    const b = 0.97 * (a + c) - c;
    expect((b + c) / (a + c)).toBeCloseTo(0.97, 12);
    const rnd = seededRandom(11);
    const runs = 2000;
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      const { L, P } = pairedRows(200, a, b, c, rnd);
      if (qualityTest(L, P, thinningUniforms(200, r + 1), target).pValue <= 0.05) rejected++;
    }
    // One-sided binomial check: not significantly more than 5% of the runs (at the 1% level).
    expect(upperTail(rejected, runs, 0.05)).toBeGreaterThan(0.01);
    // And below the target it rejects less often still.
    let worse = 0;
    for (let r = 0; r < runs; r++) {
      const { L, P } = pairedRows(200, 0.08, 0.01, 0.7, rnd);
      if (qualityTest(L, P, thinningUniforms(200, r + 1), target).pValue <= 0.05) worse++;
    }
    expect(worse).toBeLessThan(rejected);
  });

  it('has power: a policy that wins more than it loses is confirmed on a few hundred rows', () => {
    const rnd = seededRandom(5);
    let rejected = 0;
    for (let r = 0; r < 200; r++) {
      const { L, P } = pairedRows(300, 0.03, 0.1, 0.72, rnd);
      if (qualityTest(L, P, thinningUniforms(300, r + 1), target).pValue <= 0.05) rejected++;
    }
    expect(rejected).toBeGreaterThan(190);
  });

  it('cannot confirm anything on too few rows: all ties on 60 rows is not evidence enough', () => {
    const L = new Uint8Array(60).fill(1);
    expect(qualityTest(L, L, thinningUniforms(60, 1), target).pValue).toBeGreaterThan(0.05);
  });

  it('its lower bound is the largest target the test accepts', () => {
    const { L, P } = pairedRows(300, 0.03, 0.06, 0.75, seededRandom(3));
    const u = thinningUniforms(300, 9);
    const lb = qualityLowerBound(L, P, u, 0.95);
    expect(qualityTest(L, P, u, lb).pValue).toBeLessThanOrEqual(0.05);
    expect(qualityTest(L, P, u, lb + 1e-4).pValue).toBeGreaterThan(0.05);
    const estimate = P.reduce((s, x) => s + x, 0) / L.reduce((s, x) => s + x, 0);
    expect(lb).toBeLessThan(estimate);
  });
});

describe('fixed-sequence testing', () => {
  it('tests in the given order at level delta and stops at the first failure', () => {
    const p = [0.01, 0.04, 0.2, 0.001];
    const steps = fixedSequenceTest([0, 1, 2, 3], (k) => p[k]!, 0.05);
    expect(steps).toEqual([
      { candidate: 0, pValue: 0.01, rejected: true },
      { candidate: 1, pValue: 0.04, rejected: true },
      { candidate: 2, pValue: 0.2, rejected: false },
    ]);
  });
});

describe('choosing the ladder under the guarantee', () => {
  /**
   * Candidates small (cost 1, right 60%), mid (cost 10, as good as the reference), large (cost
   * 30, the reference). Small's confidence tells its right answers from its wrong ones.
   */
  function rowsOf(n: number, seed: number, kind: 'good' | 'bad'): SelectRow[] {
    const rnd = seededRandom(seed);
    return Array.from({ length: n }, () => {
      const large = rnd() < 0.8;
      const good = kind === 'good';
      const small = rnd() < (good ? 0.6 : 0.4);
      const mid = good ? (large ? rnd() < 0.99 : rnd() < 0.3) : rnd() < 0.5;
      // Informative confidences for the good kind; noise for the bad one.
      const raw = good
        ? small
          ? Math.log(0.7 + 0.3 * rnd())
          : Math.log(0.2 + 0.6 * rnd())
        : Math.log(0.2 + 0.8 * rnd());
      return {
        outcomes: [
          { correct: small, raw, costUsd: 1, answerCostUsd: 1 },
          {
            correct: mid,
            raw: good ? (mid ? -0.01 : -0.5) : Math.log(rnd()),
            costUsd: 10,
            answerCostUsd: 10,
          },
          { correct: large, raw: null, costUsd: 30, answerCostUsd: 30 },
        ],
        predicted: [null, null, null],
      };
    });
  }
  const models: ModelRung[] = [
    { model: 'small', source: 'answer_logprob', calibration: { kind: 'identity' } },
    { model: 'mid', source: 'answer_logprob', calibration: { kind: 'identity' } },
    { model: 'large', source: null, calibration: { kind: 'identity' } },
  ];
  const split = (n: number) => ({
    fit: Array.from({ length: Math.round(n * 0.3) }, (_, i) => i),
    test: Array.from({ length: n - Math.round(n * 0.3) }, (_, i) => i + Math.round(n * 0.3)),
  });

  it('lists every cheapest-first subset, a single model included', () => {
    expect(ladderSubsets(3, 3)).toEqual([[0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]);
    expect(ladderSubsets(5, 3)).toHaveLength(5 + 10 + 10);
  });

  it('finds a cheaper ladder that keeps the target, and every accepted policy passed its test', () => {
    const rows = rowsOf(1200, 1, 'good');
    const s = selectPolicy({
      models,
      ladders: ladderSubsets(3, 3),
      rows,
      ...split(rows.length),
      target: 0.97,
      delta: 0.05,
      seed: 1,
    });
    expect(s.chosen).not.toBeNull();
    expect(s.chosen!.ladder).not.toEqual([2]);
    expect(s.chosen!.test.relativeCost).toBeLessThan(0.5);
    expect(s.chosen!.test.pValue).toBeLessThanOrEqual(0.05);
    // The steps are the sequence's prefix up to and including the first failure.
    expect(s.steps.map((x) => x.candidate)).toEqual(s.sequence.slice(0, s.steps.length));
    expect(s.steps.slice(0, -1).every((x) => x.rejected)).toBe(true);
    expect(s.tested.filter((t) => t.accepted)).toContainEqual(
      expect.objectContaining({ ladder: s.chosen!.ladder }),
    );
  });

  it('says "serve the reference" when nothing can be confirmed', () => {
    const rows = rowsOf(120, 2, 'bad');
    const s = selectPolicy({
      models,
      ladders: ladderSubsets(3, 3),
      rows,
      ...split(rows.length),
      target: 0.97,
      delta: 0.05,
      seed: 1,
    });
    expect(s.chosen).toBeNull();
    expect(s.fallback.ladder).toEqual([2]);
    expect(s.fallback.test.relativeQuality).toBe(1);
  });

  it('a test fixture may swap the test (what a broken guarantee looks like): it accepts more', () => {
    const rows = rowsOf(120, 2, 'bad');
    const pointEstimate = (L: Uint8Array, P: Uint8Array, _u: Float64Array, t: number) =>
      P.reduce((s, x) => s + x, 0) >= t * L.reduce((s, x) => s + x, 0) ? 0 : 1;
    const s = selectPolicy({
      models,
      ladders: ladderSubsets(3, 3),
      rows,
      ...split(rows.length),
      target: 0.97,
      delta: 0.05,
      seed: 1,
      pValue: pointEstimate,
    });
    expect(s.steps.length).toBeGreaterThan(0);
  });
});
