/**
 * A feature's reference distribution as the population stability index bins it
 * (src/watch/monitors/stats.ts, psiAgainst): made by `cascade calibrate` from the training rows and
 * stored in the artefact's feature snapshot (referenceBinsSchema, ./artefact.ts), then compared
 * with a task's traffic by drift_input. Pure and dependency-free, below both.
 */

/**
 * A reference distribution as PSI bins it, JSON-serialisable so it can be stored (a calibration
 * artefact's feature snapshot) and compared against later without the raw values: by value (one
 * count per distinct reference value, ascending) or by the reference's quantiles (`edges`
 * ascending, bins (edge_{i-1}, edge_i], so `counts` has one more entry than `edges`). `n` is the
 * number of reference values (the sum of `counts`).
 */
export type ReferenceBins =
  | { binning: 'value'; values: number[]; counts: number[]; n: number }
  | { binning: 'quantile'; edges: number[]; counts: number[]; n: number };

/**
 * The bins of `reference` (its non-finite values ignored): for a feature with at most `maxBins`
 * distinct values (a flag, a count of code blocks), one bin per value; otherwise the reference's
 * quantiles (deciles by default; tied edges merged, and the top value never an edge, so the last
 * bin is never empty).
 */
export function referenceBins(reference: number[], maxBins = 10): ReferenceBins {
  const ref = reference.filter(Number.isFinite);
  if (ref.length === 0) throw new RangeError('referenceBins needs at least one finite value');
  const distinct = [...new Set(ref)].sort((a, b) => a - b);
  if (distinct.length <= maxBins) {
    const index = new Map(distinct.map((v, i) => [v, i]));
    const counts = new Array<number>(distinct.length).fill(0);
    for (const x of ref) counts[index.get(x)!]! += 1;
    // -0 and 0 are one value (Set and Map say so); JSON would write -0 as 0 anyway.
    return { binning: 'value', values: distinct.map((v) => v + 0), counts, n: ref.length };
  }
  const sorted = [...ref].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let i = 1; i < maxBins; i++) {
    const e = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / maxBins))]!;
    // Bins are (edge_{i-1}, edge_i]; the top value would leave the last bin empty, and ties collapse.
    if (e < sorted[sorted.length - 1]! && (edges.length === 0 || e > edges[edges.length - 1]!))
      edges.push(e + 0);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const x of ref) counts[binOf(edges, x)]! += 1;
  return { binning: 'quantile', edges, counts, n: ref.length };
}

/** Index of the bin (edge_{i-1}, edge_i] holding x: binary search over ascending edges. */
export function binOf(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
