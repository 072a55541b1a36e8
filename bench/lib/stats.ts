/**
 * Summary statistics for benchmark samples. Percentiles are by linear interpolation between the
 * closest ranks (the "R-7" / NumPy default), so p99 of 200 samples lies between the 198th and
 * 199th smallest rather than jumping to the maximum.
 */

export interface Summary {
  n: number;
  mean: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The q-quantile (0..1) of samples already sorted ascending; NaN for no samples. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be within 0..1, got ${q}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

/** The q-quantile (0..1) of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  return quantileSorted(
    [...samples].sort((x, y) => x - y),
    q,
  );
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  return samples.reduce((s, x) => s + x, 0) / samples.length;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    n: sorted.length,
    mean: mean(sorted),
    min: sorted.length ? sorted[0]! : NaN,
    p50: quantileSorted(sorted, 0.5),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}
