/**
 * The guarantee's statistics (src/tools/calibrate/guarantee.ts) and the ladder selection that
 * uses them (select.ts), on simulated rows: the p-value is exact (valid at the boundary of the
 * null, not just asymptotically), has power when a policy is clearly good, its lower bound inverts
 * it, fixed-sequence testing stops at the first failure, and the selection chooses the ladder
 * (a cheap model alone, a three-rung ladder, or nothing) from the rows it is given.
 */
import { describe, expect, it } from 'vitest';
import {
  BET_CAP,
  BET_PRIOR_LOSSES,
  binomialCdf,
  countOutcomes,
  fixedSequenceTest,
  kellyBet,
  logWealth,
  type OutcomeCounts,
  qualityLowerBound,
  thinnedTest,
  thinningUniforms,
  heldOutTest,
  chooseStatistic,
  bettingTest,
} from '../../src/tools/calibrate/guarantee';
import {
  ladderSubsets,
  type ModelRung,
  selectPolicy,
  type SelectRow,
} from '../../src/tools/calibrate/select';
import { seededRandom } from '../../src/request/router/random';

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

describe('the bet: a test of relative quality', () => {
  const target = 0.97;
  const counts = (L: ArrayLike<number>, P: ArrayLike<number>) => countOutcomes(L, P);

  it('counts the four kinds of row, and its wealth is the product of 1 + bet x (P - target L)', () => {
    const L = [1, 1, 0, 1, 1, 0];
    const P = [0, 1, 1, 1, 1, 0];
    const c = counts(L, P);
    expect(c).toEqual({ losses: 1, wins: 1, bothRight: 3, rows: 6 });
    const bet = 0.5;
    let w = 1;
    for (let i = 0; i < L.length; i++) w *= 1 + bet * (P[i]! - target * L[i]!);
    const t = bettingTest(c, [bet], target);
    expect(t.eValue).toBeCloseTo(w, 12);
    expect(t.pValue).toBeCloseTo(Math.min(1, 1 / w), 12);
    // Several bets average their wealths (an e-value still).
    const two = bettingTest(c, [0.2, 0.6], target);
    expect(two.eValue).toBeCloseTo(
      (bettingTest(c, [0.2], target).eValue! + bettingTest(c, [0.6], target).eValue!) / 2,
      12,
    );
    expect(() => bettingTest(c, [1 / target], target)).toThrow(/a bet must be in/);
  });

  it('the Kelly bet grows the wealth fastest on its counts, never stakes on a policy behind, and is capped', () => {
    const fit = { losses: 2, wins: 3, bothRight: 60 };
    const bet = kellyBet(fit, target);
    const withPrior = { ...fit, losses: fit.losses + BET_PRIOR_LOSSES };
    for (const d of [-0.05, -0.01, 0.01, 0.05]) {
      expect(logWealth(withPrior, bet, target)).toBeGreaterThanOrEqual(logWealth(withPrior, bet + d, target));
    }
    expect(kellyBet({ losses: 10, wins: 0, bothRight: 50 }, target)).toBe(0);
    expect(kellyBet({ losses: 0, wins: 20, bothRight: 50 }, target)).toBeCloseTo(BET_CAP / target, 12);
  });

  it('is valid: at the boundary of the null (quality exactly the target) it rejects at most delta of the time', () => {
    // Relative quality exactly 0.97: p_b + p_c = 0.97 (p_a + p_c); bets from independent fit rows.
    const a = 0.05;
    const c = 0.7;
    const b = 0.97 * (a + c) - c;
    expect((b + c) / (a + c)).toBeCloseTo(0.97, 12);
    const rnd = seededRandom(11);
    const runs = 2000;
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      const fit = pairedRows(90, a, b, c, rnd);
      const test = pairedRows(200, a, b, c, rnd);
      const bet = kellyBet(counts(fit.L, fit.P), target);
      if (bettingTest(counts(test.L, test.P), [bet], target).pValue <= 0.05) rejected++;
    }
    // One-sided binomial check: not significantly more than 5% of the runs (at the 1% level).
    expect(upperTail(rejected, runs, 0.05)).toBeGreaterThan(0.01);
  });

  it('has power near the reference (the bet) and on a policy that wins more than it loses (the thinned binomial)', () => {
    const rnd = seededRandom(5);
    const tally = { bet: 0, thinned: 0, either: 0, chosen: new Set<string>() };
    for (let r = 0; r < 200; r++) {
      const fit = pairedRows(90, 0.03, 0.1, 0.72, rnd);
      const { L, P } = pairedRows(210, 0.03, 0.1, 0.72, rnd);
      const fc = counts(fit.L, fit.P);
      const u = thinningUniforms(210, r + 1);
      if (bettingTest(counts(L, P), [kellyBet(fc, target)], target).pValue <= 0.05) tally.bet++;
      if (thinnedTest(L, P, u, target).pValue <= 0.05) tally.thinned++;
      const q = heldOutTest(L, P, u, fc, target, chooseStatistic(fc, 210, target, 0.05));
      tally.chosen.add(q.statistic);
      if (q.pValue <= 0.05) tally.either++;
    }
    // Wins are whole credits in the thinned binomial, and a capped stake in the bet.
    expect(tally.thinned).toBeGreaterThan(190);
    expect(tally.bet).toBeLessThan(tally.thinned);
    // The fit part mostly picks the thinned binomial here, and the chosen test keeps its power.
    expect(tally.chosen.has('thinned-binomial')).toBe(true);
    expect(tally.either).toBeGreaterThan(185);
    // Near the reference, the other way round.
    let bet = 0;
    let thinned = 0;
    for (let r = 0; r < 200; r++) {
      const fit = pairedRows(90, 0, 0, 0.8, rnd);
      const { L, P } = pairedRows(210, 0, 0, 0.8, rnd);
      const fc = counts(fit.L, fit.P);
      const u = thinningUniforms(210, r + 1);
      expect(chooseStatistic(fc, 210, target, 0.05)).toBe('bet');
      if (heldOutTest(L, P, u, fc, target, 'bet').pValue <= 0.05) bet++;
      if (thinnedTest(L, P, u, target).pValue <= 0.05) thinned++;
    }
    expect(bet).toBe(200);
    expect(thinned).toBeLessThan(150);
  });

  it('the choice of test is made on the fit part and keeps the level at the boundary of the null', () => {
    const a = 0.05;
    const c = 0.7;
    const b = 0.97 * (a + c) - c;
    const rnd = seededRandom(21);
    const runs = 2000;
    let rejected = 0;
    const chosen = new Set<string>();
    for (let r = 0; r < runs; r++) {
      const fit = pairedRows(90, a, b, c, rnd);
      const { L, P } = pairedRows(210, a, b, c, rnd);
      const fc = counts(fit.L, fit.P);
      const q = heldOutTest(
        L,
        P,
        thinningUniforms(210, r + 1),
        fc,
        target,
        chooseStatistic(fc, 210, target, 0.05),
      );
      chosen.add(q.statistic);
      if (q.pValue <= 0.05) rejected++;
    }
    expect(chosen.size).toBe(2);
    expect(upperTail(rejected, runs, 0.05)).toBeGreaterThan(0.01);
  });

  it('confirms a policy that matches the reference on 150 both-right rows, which the thinned binomial rarely did', () => {
    const L = new Uint8Array(150).fill(1);
    const fit = counts(new Uint8Array(60).fill(1), new Uint8Array(60).fill(1));
    expect(bettingTest(counts(L, L), [kellyBet(fit, target)], target).pValue).toBeLessThan(0.05);
    // The thinned binomial: a both-right row is a credit with probability 0.03, so 150 of them
    // mark Binomial(150, 0.03) rows, and the test passes only with 5 or more of them.
    expect(1 - binomialCdf(4, 150, 0.03)).toBeLessThan(0.5);
  });

  it('cannot confirm anything on too few rows: all ties on 60 rows is not evidence enough', () => {
    const L = new Uint8Array(60).fill(1);
    const fit = counts(L, L);
    expect(bettingTest(counts(L, L), [kellyBet(fit, target)], target).pValue).toBeGreaterThan(0.05);
  });

  it('its lower bound is the largest target the test accepts', () => {
    const rnd = seededRandom(3);
    const fitRows = pairedRows(100, 0.03, 0.06, 0.75, rnd);
    const { L, P } = pairedRows(300, 0.03, 0.06, 0.75, rnd);
    const fit = counts(fitRows.L, fitRows.P);
    const c = counts(L, P);
    const pAt = (t: number) => bettingTest(c, [kellyBet(fit, t)], t).pValue;
    const lb = qualityLowerBound(pAt, 0.95);
    expect(pAt(lb)).toBeLessThanOrEqual(0.05);
    expect(pAt(lb + 1e-4)).toBeGreaterThan(0.05);
    const estimate = (c.wins + c.bothRight) / (c.losses + c.bothRight);
    expect(lb).toBeLessThan(estimate);
    expect(lb).toBeGreaterThan(0.9);
    // The thinned binomial's, on the same rows.
    const u = thinningUniforms(300, 9);
    const lbThinned = qualityLowerBound((t) => thinnedTest(L, P, u, t).pValue, 0.95);
    expect(thinnedTest(L, P, u, lbThinned).pValue).toBeLessThanOrEqual(0.05);
    expect(thinnedTest(L, P, u, lbThinned + 1e-4).pValue).toBeGreaterThan(0.05);
    expect(lbThinned).toBeLessThan(estimate);
  });
});

describe('the thinned binomial: an exact test of relative quality', () => {
  const target = 0.97;

  it('counts losses as debits, wins as credits, and both-right rows as credits with probability 1 - target', () => {
    const L = [1, 1, 0, 1, 1, 0];
    const P = [0, 1, 1, 1, 1, 0];
    const u = [0.5, 0.01, 0.5, 0.5, 0.02, 0.5];
    const t = thinnedTest(L, P, u, target);
    expect(t).toMatchObject({ losses: 1, wins: 1, bothRight: 3, rows: 6, debits: 1, marked: 4 });
    expect(t.pValue).toBeCloseTo(binomialCdf(1, 4, 1 / (1 + target)), 15);
    // Above 1, both-right rows are debits instead (quality must exceed the reference's).
    const above = thinnedTest(L, P, u, 1.2);
    expect(above.debits).toBe(1 + 2); // the loss, and the rows with u < 0.2 / 1.2
  });

  it('is exact: at the boundary of the null (quality exactly the target) it rejects at most delta of the time', () => {
    const a = 0.05;
    const c = 0.7;
    const b = 0.97 * (a + c) - c;
    const rnd = seededRandom(11);
    const runs = 2000;
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      const { L, P } = pairedRows(200, a, b, c, rnd);
      if (thinnedTest(L, P, thinningUniforms(200, r + 1), target).pValue <= 0.05) rejected++;
    }
    expect(upperTail(rejected, runs, 0.05)).toBeGreaterThan(0.01);
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
    const pointEstimate = (c: OutcomeCounts, t: number) =>
      c.wins + c.bothRight >= t * (c.losses + c.bothRight) ? 0 : 1;
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
