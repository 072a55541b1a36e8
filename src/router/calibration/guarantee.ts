/**
 * The quality guarantee's statistics, pure: an exact test of "this policy keeps the target
 * relative quality" on held-out labelled rows, and fixed-sequence testing over candidate policies
 * (learn-then-test: Angelopoulos, Bates, Candès, Jordan, Lei, "Learn then Test: Calibrating
 * Predictive Algorithms to Achieve Risk Control", 2021).
 *
 * The quantity. On one request, L = 1 when the reference (the large model) answers right, P = 1
 * when the policy's served answer is right. The target: E[P] >= tau * E[L] (the policy's accuracy
 * is at least tau times the reference's; tau = 0.97 is "97% of the large model's accuracy").
 * With the four kinds of request, a = (L=1, P=0) "loss", b = (L=0, P=1) "win", c = (L=1, P=1),
 * d = (L=0, P=0), and their probabilities p_a..p_d, it reads
 *
 *     tau * p_a <= p_b + (1 - tau) * p_c            (tau <= 1)
 *
 * a loss costs tau, a win earns 1, and a request both answer right earns the slack 1 - tau.
 *
 * The statistic (a thinned, exact binomial test). Each test row is a DEBIT if it is a loss, a
 * CREDIT if it is a win, or, when both are right, a credit with probability 1 - tau (decided by a
 * seeded uniform u per row, drawn independently of everything else: u < 1 - tau). Rows are
 * i.i.d., so each is independently a debit with probability p_a, a credit with probability
 * p_b + (1 - tau) p_c, or neither; given M = debits + credits, the debits K ~ Binomial(M, theta)
 * with theta = p_a / (p_a + p_b + (1 - tau) p_c). The target holds iff theta <= 1 / (1 + tau).
 * The p-value of H0 "the target does not hold" is
 *
 *     p = P(Binomial(M, 1 / (1 + tau)) <= K)
 *
 * exact (not asymptotic): under H0 theta > 1 / (1 + tau), so P(p <= x | M) <= x for every x, and
 * so unconditionally. (For tau > 1 the slack is a cost: a both-right row is a debit with
 * probability (tau - 1) / tau, wins are credits, and the same p-value holds.) The thinning spends a
 * little power (the 1 - tau credits are random instead of fractional) to make the test exact for
 * a loss that is not a 0/1 count.
 *
 * What it needs: a test with no losses and no wins is all slack, so it clears the target at
 * confidence 1 - delta only when about log(1 / delta) / (1 - tau) requests both answered right
 * (100 at tau = 0.97, delta = 0.05): with fewer labelled rows than that in the test part no policy
 * other than the large model alone can be guaranteed, however good it is. Wins (a cheaper model
 * right where the large one is wrong) count in full.
 *
 * Fixed-sequence testing. Candidate policies are put in an order using only the fit part of the
 * rows (never the test part); each is tested at level delta in that order, and testing stops at
 * the first that fails. With probability at least 1 - delta no policy whose true relative quality
 * is below the target is accepted (the first such policy in the order must pass its own test at
 * level delta before any later one is reached), so every accepted policy, and the one deployed,
 * keeps the target: the family-wise error is controlled without dividing delta by the number of
 * candidates.
 */
import { seededRandom } from '../random';

/** Per-row outcome of a policy against the reference on the test part. */
export interface PairedOutcome {
  /** The reference (large) model answered right. */
  reference: boolean;
  /** The policy's served answer is right. */
  policy: boolean;
}

export interface TestCounts {
  /** Losses (reference right, policy wrong). */
  losses: number;
  /** Wins (reference wrong, policy right). */
  wins: number;
  /** Both right. */
  bothRight: number;
  /** Rows tested. */
  rows: number;
  /** The debits K and marked rows M of the thinned test. */
  debits: number;
  marked: number;
}

export interface QualityTest extends TestCounts {
  /** Exact p-value of "the policy's relative quality is below the target". */
  pValue: number;
}

/** The statistic's name as the artefact records it. */
export const GUARANTEE_STATISTIC = 'thinned-binomial';
export const GUARANTEE_PROCEDURE = 'learn-then-test';
export const GUARANTEE_SEQUENCE = 'fixed-sequence';

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
// The thinned test.

/**
 * The uniforms the test thins with, one per test row: drawn once from the seed (independently of
 * the rows and their labels) and shared by every policy tested on those rows.
 */
export function thinningUniforms(rows: number, seed: number): Float64Array {
  const rnd = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  return Float64Array.from({ length: rows }, () => rnd());
}

/**
 * The exact p-value of H0 "relative quality < target" for one policy on the test rows, given
 * per row whether the reference and the policy were right, and the thinning uniforms.
 */
export function qualityTest(
  reference: ArrayLike<number | boolean>,
  policy: ArrayLike<number | boolean>,
  uniforms: ArrayLike<number>,
  target: number,
): QualityTest {
  if (!(target > 0)) throw new Error(`the target must be positive, got ${target}`);
  const n = reference.length;
  let losses = 0;
  let wins = 0;
  let bothRight = 0;
  let debits = 0;
  let credits = 0;
  for (let i = 0; i < n; i++) {
    const L = Boolean(reference[i]);
    const P = Boolean(policy[i]);
    if (L && !P) {
      losses++;
      debits++;
    } else if (!L && P) {
      wins++;
      credits++;
    } else if (L && P) {
      bothRight++;
      const u = uniforms[i]!;
      if (target <= 1) {
        if (u < 1 - target) credits++;
      } else if (u < (target - 1) / target) debits++;
    }
  }
  const marked = debits + credits;
  const pValue = marked === 0 ? 1 : binomialCdf(debits, marked, 1 / (1 + target));
  return { losses, wins, bothRight, rows: n, debits, marked, pValue };
}

/**
 * The exact one-sided lower confidence bound of a policy's relative quality at `confidence`,
 * from the same test rows and uniforms: the largest target the test accepts at level
 * 1 - confidence (the p-value grows with the target, so bisection finds it). For one policy fixed
 * in advance it is a valid bound; for the policies a search compared it is descriptive (the
 * guarantee of the one deployed is the fixed-sequence test at the stated target).
 */
export function qualityLowerBound(
  reference: ArrayLike<number | boolean>,
  policy: ArrayLike<number | boolean>,
  uniforms: ArrayLike<number>,
  confidence: number,
): number {
  const alpha = 1 - confidence;
  const passes = (t: number) => qualityTest(reference, policy, uniforms, t).pValue <= alpha;
  let lo = 0;
  let hi = 2;
  if (!passes(1e-6)) return 0;
  if (passes(hi)) return hi;
  for (let it = 0; it < 40; it++) {
    const mid = (lo + hi) / 2;
    if (passes(mid)) lo = mid;
    else hi = mid;
  }
  return Math.round(lo * 1e6) / 1e6;
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
