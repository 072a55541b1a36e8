/**
 * The paired bootstrap over requests: B resamples of the n calibration rows, drawn once from a
 * seed and shared by every policy compared (common random numbers), so two policies are judged on
 * the same resamples and a search is reproducible.
 *
 * The guarantee's bound is the percentile bootstrap lower bound of the relative quality
 * R = sum(served correct) / sum(large model correct): the (1 - confidence) quantile of R over the
 * resamples. Resampling whole rows keeps the pairing between what the policy served and what the
 * large model would have answered on the same request.
 */

import { seededRandom } from '../../request/router/random';

export class PairedBootstrap {
  /** idx[b * n + j]: the j-th row drawn in resample b. */
  private readonly idx: Uint32Array;

  constructor(
    readonly n: number,
    readonly resamples: number,
    seed: number,
  ) {
    const rnd = seededRandom(seed ^ 0x9e3779b9);
    this.idx = new Uint32Array(n * resamples);
    for (let k = 0; k < this.idx.length; k++) this.idx[k] = Math.floor(rnd() * n);
  }

  /** Per resample: sum(x) over the drawn rows. */
  sums(x: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.resamples);
    const n = this.n;
    for (let b = 0; b < this.resamples; b++) {
      let s = 0;
      const base = b * n;
      for (let j = 0; j < n; j++) s += x[this.idx[base + j]!]!;
      out[b] = s;
    }
    return out;
  }

  /** Per resample: sum(num) / sum(den) (NaN where the denominator is 0). */
  ratios(
    num: ArrayLike<number>,
    den: ArrayLike<number> | Float64Array,
    denSums?: Float64Array,
  ): Float64Array {
    const a = this.sums(num);
    const d = denSums ?? this.sums(den);
    for (let b = 0; b < a.length; b++) a[b] = d[b]! === 0 ? NaN : a[b]! / d[b]!;
    return a;
  }
}

/** The q-quantile of samples (NaNs dropped), linear interpolation between closest ranks. */
export function quantileOf(samples: Float64Array | readonly number[], q: number): number {
  const xs = Array.from(samples)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

/** Two-sided percentile interval at `level` (0.95 -> the 2.5% and 97.5% quantiles). */
export function percentileInterval(samples: Float64Array, level: number): [number, number] {
  const a = (1 - level) / 2;
  return [quantileOf(samples, a), quantileOf(samples, 1 - a)];
}
