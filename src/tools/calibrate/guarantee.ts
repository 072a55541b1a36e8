/**
 * The quality guarantee's statistics, pure: a finite-sample test of "this policy keeps the target
 * relative quality" on held-out labelled rows, and fixed-sequence testing over candidate policies
 * (learn-then-test: Angelopoulos, Bates, Candès, Jordan, Lei, "Learn then Test: Calibrating
 * Predictive Algorithms to Achieve Risk Control", 2021).
 *
 * The quantity. On one request, L = 1 when the reference (the large model) answers right, P = 1
 * when the policy's served answer is right. The target: E[P] >= tau * E[L] (the policy's accuracy
 * is at least tau times the reference's; tau = 0.97 is "97% of the large model's accuracy"). Per
 * request X = P - tau * L, which takes four values:
 *
 *     loss (L=1, P=0)  -tau      win (L=0, P=1)  1      both right  1 - tau      both wrong  0
 *
 * and the target holds iff E[X] >= 0.
 *
 * Two finite-sample tests of H0 "the target does not hold" (E[X] < 0), each valid on its own; which
 * one tests a candidate is decided from the candidate's FIT-part counts alone (`chooseStatistic`:
 * the one those counts predict to have more power at the test part's size), so the choice
 * never looks at the rows it is tested on and each test keeps its level.
 *
 * The bet (Waudby-Smith and Ramdas, "Estimating means of bounded random variables by betting",
 * JRSS-B 2023). A bettor stakes a fraction lambda in [0, 1 / tau) of its wealth on each held-out
 * row: W = prod_i (1 + lambda * X_i). Rows are i.i.d. and lambda is fixed before the held-out rows
 * are seen, so under H0 E[W] = (1 + lambda E[X])^n <= 1: W is an e-value, and by Markov's inequality
 * p = min(1, 1 / W) is a valid p-value at every sample size. lambda is the Kelly bet (the
 * growth-optimal fraction) on the fit-part counts with half a loss added (a policy with no fit
 * losses is not bet on as if it could never lose), capped at BET_CAP / tau so one loss never takes
 * more than 90% of the wealth. Several bets fixed in advance average into one e-value. The wealth
 * depends on the counts alone. Strong where the sequence starts, on policies close to the
 * reference (few losses, many both-right rows): with about 130 both-right test rows and no loss it
 * confirms the target every time.
 *
 * The thinned binomial (exact). Each test row is a DEBIT if it is a loss, a CREDIT if it is a win,
 * or, when both are right, a credit with probability 1 - tau (decided by a seeded uniform u per
 * row, drawn independently of everything else: u < 1 - tau). Given M = debits + credits, the
 * debits K ~ Binomial(M, theta) with theta = p_a / (p_a + p_b + (1 - tau) p_c), and the target
 * holds iff theta <= 1 / (1 + tau); p = P(Binomial(M, 1 / (1 + tau)) <= K), exact: under H0
 * P(p <= x | M) <= x for every x, so unconditionally. (For tau > 1 a both-right row is a debit with
 * probability (tau - 1) / tau.) Strong on policies that win many requests the reference loses
 * (a win is a whole credit, where the capped bet gains at most 1 + lambda), weak near the
 * reference: its random 1 - tau credits make 130 both-right rows and no loss a pass only about
 * a third of the time.
 *
 * What they need: a test with no losses and no wins clears 1 / delta only after about
 * log(1 / delta) / log(1 + lambda (1 - tau)) both-right rows (about 130 at tau = 0.97, delta = 0.05,
 * lambda ~0.8; no valid test can do with fewer than log(1 / delta) / -log(tau) = 99): with fewer
 * labelled rows than that in the test part no policy other than the large model alone can be
 * guaranteed, however good it is.
 *
 * Fixed-sequence testing. Candidate policies are put in an order using only the fit part of the
 * rows (never the test part); each is tested at level delta in that order, and testing stops at
 * the first that fails. With probability at least 1 - delta no policy whose true relative quality
 * is below the target is accepted (the first such policy in the order must pass its own test at
 * level delta before any later one is reached), so every accepted policy, and the one deployed,
 * keeps the target: the family-wise error is controlled without dividing delta by the number of
 * candidates.
 */

import { seededRandom } from '../../request/router/random';

/** Per-row outcomes of a policy against the reference, counted: all the test needs. */
export interface OutcomeCounts {
  /** Losses (reference right, policy wrong). */
  losses: number;
  /** Wins (reference wrong, policy right). */
  wins: number;
  /** Both right. */
  bothRight: number;
  /** Rows counted. */
  rows: number;
}

/** Which test a candidate was tested with. */
export type Statistic = 'bet' | 'thinned-binomial';

export interface QualityTest extends OutcomeCounts {
  statistic: Statistic;
  /** The bet: the stake (the first, when several were averaged) and the e-value (the final wealth). */
  bet: number | null;
  eValue: number | null;
  /** The thinned binomial: the debits K and marked rows M. */
  debits: number | null;
  marked: number | null;
  /** The p-value of "the policy's relative quality is below the target". */
  pValue: number;
}

/** The statistics' name as the artefact records it: each candidate tested with one of the two. */
export const GUARANTEE_STATISTIC = 'bet-or-thinned-binomial';
export const GUARANTEE_PROCEDURE = 'learn-then-test';
export const GUARANTEE_SEQUENCE = 'fixed-sequence';

/** Largest stake, as a share of 1 / tau (where one loss would take the whole wealth). */
export const BET_CAP = 0.9;
/** Losses added to the fit counts before the Kelly bet is taken. */
export const BET_PRIOR_LOSSES = 0.5;
/** How much more power the bet must be predicted to have to be chosen (see chooseStatistic). */
export const BET_POWER_MARGIN = 0.01;

// ---------------------------------------------------------------------------------------------
// The binomial lower tail, exact (summed in log space, stable for thousands of trials).

const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) logFactorials.push(logFactorials[k - 1]! + Math.log(k));
  return logFactorials[n]!;
}

/** P(Binomial(n, p) <= k), exactly (k < 0: 0; k >= n: 1). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!(n >= 0) || !Number.isInteger(n)) throw new Error(`binomialCdf: n must be a whole number, got ${n}`);
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  const ln = logFactorial(n);
  // Terms in log space, then a log-sum-exp.
  let max = -Infinity;
  const terms: number[] = [];
  for (let i = 0; i <= Math.floor(k); i++) {
    const t = ln - logFactorial(i) - logFactorial(n - i) + i * lp + (n - i) * lq;
    terms.push(t);
    if (t > max) max = t;
  }
  let s = 0;
  for (const t of terms) s += Math.exp(t - max);
  return Math.min(1, Math.exp(max + Math.log(s)));
}

// ---------------------------------------------------------------------------------------------
// The bet.

/** Counts the four kinds of row (the reference's and the policy's correctness, paired). */
export function countOutcomes(
  reference: ArrayLike<number | boolean>,
  policy: ArrayLike<number | boolean>,
): OutcomeCounts {
  let losses = 0;
  let wins = 0;
  let bothRight = 0;
  for (let i = 0; i < reference.length; i++) {
    const L = Boolean(reference[i]);
    const P = Boolean(policy[i]);
    if (L && !P) losses++;
    else if (!L && P) wins++;
    else if (L && P) bothRight++;
  }
  return { losses, wins, bothRight, rows: reference.length };
}

/** log of the wealth of staking `lambda` on every row with these counts, at target tau. */
export function logWealth(c: Omit<OutcomeCounts, 'rows'>, lambda: number, tau: number): number {
  const term = (n: number, x: number) => (n === 0 ? 0 : n * Math.log1p(lambda * x));
  return term(c.losses, -tau) + term(c.wins, 1) + term(c.bothRight, 1 - tau);
}

/**
 * The Kelly bet on these counts (the stake that maximises the log wealth on them, which is
 * concave in it), with BET_PRIOR_LOSSES losses added, in [0, BET_CAP / tau].
 */
export function kellyBet(fit: Omit<OutcomeCounts, 'rows'>, tau: number): number {
  if (!(tau > 0)) throw new Error(`the target must be positive, got ${tau}`);
  const c = { ...fit, losses: fit.losses + BET_PRIOR_LOSSES };
  const slope = (l: number) =>
    -(c.losses * tau) / (1 - l * tau) + c.wins / (1 + l) + (c.bothRight * (1 - tau)) / (1 + l * (1 - tau));
  const hi = BET_CAP / tau;
  if (!(slope(0) > 0)) return 0;
  if (slope(hi) >= 0) return hi;
  let lo = 0;
  let up = hi;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + up) / 2;
    if (slope(mid) > 0) lo = mid;
    else up = mid;
  }
  return lo;
}

/**
 * The test of H0 "relative quality < target" on held-out counts, staking each of `bets` (fixed
 * without looking at these rows) and averaging the wealths: an e-value, and its p-value.
 */
export function bettingTest(test: OutcomeCounts, bets: readonly number[], target: number): QualityTest {
  if (!(target > 0)) throw new Error(`the target must be positive, got ${target}`);
  if (bets.length === 0) throw new Error('no bet to test with');
  for (const b of bets) {
    if (!(b >= 0 && b * target < 1)) throw new Error(`a bet must be in [0, 1 / target), got ${b}`);
  }
  const eValue = bets.reduce((s, b) => s + Math.exp(logWealth(test, b, target)), 0) / bets.length;
  return {
    ...test,
    statistic: 'bet',
    bet: bets[0]!,
    eValue,
    debits: null,
    marked: null,
    pValue: Math.min(1, 1 / eValue),
  };
}

// ---------------------------------------------------------------------------------------------
// The thinned binomial.

/**
 * The uniforms the thinned test thins with, one per test row: drawn once from the seed
 * (independently of the rows and their labels) and shared by every policy tested on those rows.
 */
export function thinningUniforms(rows: number, seed: number): Float64Array {
  const rnd = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  return Float64Array.from({ length: rows }, () => rnd());
}

/** The exact thinned-binomial test on the test rows (per row: reference right, policy right). */
export function thinnedTest(
  reference: ArrayLike<number | boolean>,
  policy: ArrayLike<number | boolean>,
  uniforms: ArrayLike<number>,
  target: number,
): QualityTest {
  if (!(target > 0)) throw new Error(`the target must be positive, got ${target}`);
  let debits = 0;
  let credits = 0;
  for (let i = 0; i < reference.length; i++) {
    const L = Boolean(reference[i]);
    const P = Boolean(policy[i]);
    if (L && !P) debits++;
    else if (!L && P) credits++;
    else if (L && P) {
      const u = uniforms[i]!;
      if (target <= 1) {
        if (u < 1 - target) credits++;
      } else if (u < (target - 1) / target) debits++;
    }
  }
  const marked = debits + credits;
  return {
    ...countOutcomes(reference, policy),
    statistic: 'thinned-binomial',
    bet: null,
    eValue: null,
    debits,
    marked,
    pValue: marked === 0 ? 1 : binomialCdf(debits, marked, 1 / (1 + target)),
  };
}

// ---------------------------------------------------------------------------------------------
// Which test, and the held-out test of one candidate.

/** P(N = k) for N ~ Poisson(mu). */
function poisson(k: number, mu: number): number {
  if (mu <= 0) return k === 0 ? 1 : 0;
  return Math.exp(k * Math.log(mu) - mu - logFactorial(k));
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp((-z * z) / 2);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/**
 * The power each statistic is predicted to have, at level `delta` on `testRows` rows, if the test
 * part had the fit part's rates (a prediction from the fit part alone). The bet: its log wealth is
 * a sum over rows, taken as normal. The thinned binomial: its debits and credits as Poisson counts,
 * summed exactly (for each number of debits, the fewest credits that pass).
 */
export function predictedPower(
  statistic: Statistic,
  fit: OutcomeCounts,
  testRows: number,
  target: number,
  delta: number,
): number {
  if (fit.rows === 0) return 0;
  const pa = fit.losses / fit.rows;
  const pb = fit.wins / fit.rows;
  const pc = fit.bothRight / fit.rows;
  if (statistic === 'bet') {
    const lambda = kellyBet(fit, target);
    if (lambda === 0) return 0;
    const values = [
      [pa, Math.log1p(-lambda * target)],
      [pb, Math.log1p(lambda)],
      [pc, Math.log1p(lambda * (1 - target))],
      [1 - pa - pb - pc, 0],
    ] as const;
    const mean = values.reduce((s, [p, v]) => s + p * v, 0);
    const variance = values.reduce((s, [p, v]) => s + p * (v - mean) ** 2, 0);
    const need = Math.log(1 / delta);
    const m = testRows * mean;
    const sd = Math.sqrt(testRows * variance);
    return sd === 0 ? (m >= need ? 1 : 0) : 1 - normalCdf((need - m) / sd);
  }
  const muD = testRows * (pa + (target > 1 ? ((target - 1) / target) * pc : 0));
  const muC = testRows * (pb + (target <= 1 ? (1 - target) * pc : 0));
  const theta0 = 1 / (1 + target);
  const dMax = Math.ceil(muD + 8 * Math.sqrt(muD) + 8);
  const cMax = Math.ceil(muC + 8 * Math.sqrt(muC) + 8);
  let power = 0;
  let cMin = 0; // the fewest credits that pass grows with the debits
  for (let d = 0; d <= dMax; d++) {
    while (cMin <= cMax && (d + cMin === 0 || binomialCdf(d, d + cMin, theta0) > delta)) cMin++;
    if (cMin > cMax) break;
    let tail = 0;
    for (let c = cMin; c <= cMax; c++) tail += poisson(c, muC);
    power += poisson(d, muD) * tail;
  }
  return power;
}

/**
 * The statistic the fit part predicts to be stronger on this candidate. The bet must be predicted
 * clearly stronger (BET_POWER_MARGIN): where both are predicted to pass, the thinned binomial,
 * which a few losses the fit part did not see hurt less (a fit part with wins and no losses sets
 * the capped stake, and each test-part loss then takes 90% of the wealth).
 */
export function chooseStatistic(
  fit: OutcomeCounts,
  testRows: number,
  target: number,
  delta: number,
): Statistic {
  return predictedPower('bet', fit, testRows, target, delta) >
    predictedPower('thinned-binomial', fit, testRows, target, delta) + BET_POWER_MARGIN
    ? 'bet'
    : 'thinned-binomial';
}

/**
 * One candidate's held-out test with `statistic` (chosen on its fit-part counts: chooseStatistic),
 * at `target`, on the test rows (per row: reference right, policy right) with their uniforms.
 */
export function heldOutTest(
  reference: ArrayLike<number | boolean>,
  policy: ArrayLike<number | boolean>,
  uniforms: ArrayLike<number>,
  fit: OutcomeCounts,
  target: number,
  statistic: Statistic,
): QualityTest {
  return statistic === 'bet'
    ? bettingTest(countOutcomes(reference, policy), [kellyBet(fit, target)], target)
    : thinnedTest(reference, policy, uniforms, target);
}

/**
 * The one-sided lower confidence bound of relative quality at `confidence` from a test's p-value
 * as a function of the target: the largest target it accepts at level 1 - confidence (acceptance
 * weakens as the target rises, so bisection finds it). For one policy fixed in advance it is a
 * valid bound; for the policies a search compared it is descriptive (the guarantee of the one
 * deployed is the fixed-sequence test at the stated target).
 */
export function qualityLowerBound(pValueAt: (target: number) => number, confidence: number): number {
  const alpha = 1 - confidence;
  const passes = (t: number) => pValueAt(t) <= alpha;
  let lo = 0;
  let hi = 2;
  if (!passes(1e-6)) return 0;
  if (passes(hi)) return hi;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (passes(mid)) lo = mid;
    else hi = mid;
  }
  return Math.floor(lo * 1e6) / 1e6; // down: the bound must stay a target the test accepts
}

// ---------------------------------------------------------------------------------------------
// Fixed-sequence testing.

export interface SequenceStep {
  /** Index of the candidate in the caller's list. */
  candidate: number;
  pValue: number;
  rejected: boolean;
}

/**
 * Tests candidates in the given order (fixed before the test rows were looked at) at level
 * `delta` each, stopping at the first that is not rejected. Returns the steps taken: every
 * rejected candidate keeps the target, simultaneously, with probability >= 1 - delta.
 */
export function fixedSequenceTest(
  order: readonly number[],
  pValue: (candidate: number) => number,
  delta: number,
): SequenceStep[] {
  const steps: SequenceStep[] = [];
  for (const candidate of order) {
    const p = pValue(candidate);
    const rejected = p <= delta;
    steps.push({ candidate, pValue: p, rejected });
    if (!rejected) break;
  }
  return steps;
}
