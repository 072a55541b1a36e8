/**
 * The statistics the monitors need, dependency-free: Wilson intervals for rates, a two-proportion
 * z-test, the normal and chi-square quantiles, and the population stability index with the PSI
 * that sampling noise alone would reach (against a reference binned by
 * src/request/router/calibration/feature-bins.ts, which calibration shares). Every alert needs both a material effect and evidence
 * at the configured confidence that it is not noise; these are that evidence.
 */
import { binOf, referenceBins, type ReferenceBins } from '../../request/router/calibration/feature-bins';
import type { Rate } from './types';

/** Standard normal CDF, Φ(x), through erfc: accurate to ~1e-7, plenty for a p-value. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfc Chebyshev fit, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * Inverse standard normal CDF (P. J. Acklam's rational approximation, relative error < 1.2e-9):
 * the z of every interval and test.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    throw new RangeError(`normalQuantile: p must be in [0, 1], got ${p}`);
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** z of a two-sided interval at `confidence` (1.96 at 0.95, 2.576 at 0.99). */
export function twoSidedZ(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * k successes in n with the Wilson score interval at `confidence`: unlike the normal interval it
 * stays inside [0, 1] and is honest at small n and at rates near 0 or 1 (escalation rates of 2%).
 * n = 0 gives nulls. k may be fractional (a sum of scores in 0..1).
 */
export function wilson(k: number, n: number, confidence: number): Rate {
  if (n <= 0) return { n: 0, k: 0, rate: null, low: null, high: null };
  const p = Math.min(1, Math.max(0, k / n));
  const z = twoSidedZ(confidence);
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { n, k, rate: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * Two-sided p-value of the pooled two-proportion z-test of k1/n1 vs k2/n2 (normal approximation:
 * fine at the monitors' minimum counts). null when either side is empty; 1 when both sides are
 * all-0 or all-1 (no variance, no evidence of a difference).
 */
export function twoProportionPValue(k1: number, n1: number, k2: number, n2: number): number | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const pooled = (k1 + k2) / (n1 + n2);
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2);
  if (variance <= 0) return 1;
  const z = Math.abs(k1 / n1 - k2 / n2) / Math.sqrt(variance);
  return Math.min(1, 2 * (1 - normalCdf(z)));
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: ~1e-15). */
function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const y = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Regularised lower incomplete gamma P(a, x): series below a + 1, continued fraction above. */
function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return sum * Math.exp(lead);
  }
  // Lentz's continued fraction for Q(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return 1 - Math.exp(lead) * h;
}

/** Chi-square CDF with `df` degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  return gammaP(df / 2, x / 2);
}

/**
 * The chi-square quantile: the Wilson–Hilferty approximation (cube root of a chi-square is nearly
 * normal; within ~1% for df >= 3), then refined by Newton steps on the exact CDF (regularised
 * incomplete gamma), so small df (1, 2: the PSI of a binary feature) are exact as well.
 */
export function chiSquareQuantile(p: number, df: number): number {
  if (df <= 0) return 0;
  if (!(p > 0 && p < 1)) throw new RangeError(`chiSquareQuantile: p must be in (0, 1), got ${p}`);
  const z = normalQuantile(p);
  const h = 2 / (9 * df);
  let x = Math.max(1e-8, df * Math.pow(1 - h + z * Math.sqrt(h), 3));
  const logNorm = (df / 2) * Math.log(2) + logGamma(df / 2);
  for (let i = 0; i < 50; i++) {
    const err = chiSquareCdf(x, df) - p;
    const pdf = Math.exp((df / 2 - 1) * Math.log(x) - x / 2 - logNorm);
    if (!(pdf > 0)) break;
    let next = x - err / pdf;
    if (next <= 0) next = x / 2; // keep it positive where the density is steep near 0
    if (Math.abs(next - x) < 1e-12 * Math.max(1, x)) return next;
    x = next;
  }
  return x;
}

export interface PsiResult {
  psi: number;
  /** PSI above which the difference is not sampling noise at the confidence (see psi()). */
  critical: number;
  bins: number;
  /** How the bins were made: by value (few distinct values) or by the reference's quantiles. */
  binning: 'value' | 'quantile';
}

export interface PsiOptions {
  /** Confidence of `critical`. */
  confidence: number;
  /** Quantile bins (deciles by default); a feature with at most this many distinct reference values is binned by value. */
  bins?: number;
}

/**
 * Population stability index of `current` against a reference's bins (referenceBins):
 * Σ (c_i - r_i) ln(c_i / r_i) over the bins. For value bins, current values the reference never
 * had get one more bin (reference count 0), which only exists when the current sample has such
 * values. An empty bin counts as half an observation, so a bin missing on one side gives a large
 * but finite term instead of infinity.
 *
 * `critical`: under "same distribution", PSI (a symmetrised KL divergence) is approximately
 * χ²(bins - 1) × (1/n + 1/m), so the PSI that noise alone exceeds with probability 1 - confidence
 * is that quantile times (1/n + 1/m). With 100 rows per side and 10 bins that is ~0.43 at 0.99: the
 * usual fixed bar of 0.25 would fire on noise, which is why drift needs both.
 */
export function psiAgainst(
  bins: ReferenceBins,
  current: number[],
  opts: Pick<PsiOptions, 'confidence'>,
): PsiResult {
  const cur = current.filter(Number.isFinite);
  if (bins.n <= 0 || cur.length === 0) {
    throw new RangeError('psi needs at least one finite value on each side');
  }
  let refCounts: number[];
  let curCounts: number[];
  if (bins.binning === 'value') {
    const index = new Map(bins.values.map((v, i) => [v, i]));
    const k = bins.values.length;
    curCounts = new Array<number>(k + 1).fill(0);
    for (const x of cur) curCounts[index.get(x) ?? k]! += 1;
    refCounts = [...bins.counts, 0];
    // The "not seen in the reference" bin only exists when the current sample has such values.
    if (curCounts[k] === 0) {
      refCounts.pop();
      curCounts.pop();
    }
  } else {
    curCounts = new Array<number>(bins.edges.length + 1).fill(0);
    for (const x of cur) curCounts[binOf(bins.edges, x)]! += 1;
    refCounts = [...bins.counts];
  }
  const n = bins.n;
  const m = cur.length;
  let value = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const r = Math.max(refCounts[i]!, 0.5) / n;
    const c = Math.max(curCounts[i]!, 0.5) / m;
    value += (c - r) * Math.log(c / r);
  }
  const count = refCounts.length;
  const critical = count > 1 ? chiSquareQuantile(opts.confidence, count - 1) * (1 / n + 1 / m) : 0;
  return { psi: value, critical, bins: count, binning: bins.binning };
}

/**
 * Population stability index of `current` against `reference`: psiAgainst(referenceBins(reference)),
 * the reference binned by value or by its quantiles (see both).
 */
export function psi(reference: number[], current: number[], opts: PsiOptions): PsiResult {
  if (!reference.some(Number.isFinite) || !current.some(Number.isFinite)) {
    throw new RangeError('psi needs at least one finite value on each side');
  }
  return psiAgainst(referenceBins(reference, opts.bins ?? 10), current, opts);
}

/** Mean and the normal-approximation interval of scores (for scores outside 0..1, e.g. ratings 1-10). */
export function meanInterval(
  xs: number[],
  confidence: number,
): { mean: number | null; low: number | null; high: number | null } {
  if (xs.length === 0) return { mean: null, low: null, high: null };
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  if (xs.length < 2) return { mean, low: null, high: null };
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  const half = twoSidedZ(confidence) * Math.sqrt(variance / xs.length);
  return { mean, low: mean - half, high: mean + half };
}
