/**
 * Scores of probabilistic predictions and of routers, pure:
 * - log loss and AUC, for choosing a calibration map and judging a classifier;
 * - RouteLLM's router metrics (lm-sys/RouteLLM, routellm/evals/evaluate.py and benchmarks.py):
 *   a router scores each request (how much it needs the strong model); thresholds at the
 *   scores' deciles give points (share of strong-model calls, accuracy); from that curve
 *   APGR = (AUC - weak AUC) / (strong AUC - weak AUC) ("average performance gap recovered",
 *   trapezoidal areas over the strong-call share) and CPT(x) = the share of strong-model calls
 *   needed to reach weak + x × (strong - weak) accuracy, by linear interpolation.
 */

/** Probabilities are clipped to [EPS, 1 - EPS] so one confident miss costs a lot but not infinity. */
export const LOG_LOSS_EPS = 1e-3;

export function logLoss(p: number, y: boolean | number): number {
  const q = Math.min(1 - LOG_LOSS_EPS, Math.max(LOG_LOSS_EPS, p));
  return y ? -Math.log(q) : -Math.log(1 - q);
}

export function meanLogLoss(ps: readonly number[], ys: readonly (boolean | number)[]): number {
  let s = 0;
  for (let i = 0; i < ps.length; i++) s += logLoss(ps[i]!, ys[i]!);
  return ps.length ? s / ps.length : NaN;
}

/** Area under the ROC curve (Mann-Whitney U, ties counted half); NaN with a single class. */
export function auc(scores: readonly number[], ys: readonly (boolean | number)[]): number {
  const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let neg = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (ys[idx[k]!]) {
        pos++;
        rankSumPos += avgRank;
      } else neg++;
    }
    i = j + 1;
  }
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export interface RouterCurvePoint {
  /** Share of requests sent to the strong model, 0..1. */
  strongShare: number;
  /** Accuracy of the routed answers, 0..1. */
  accuracy: number;
}

/**
 * The points RouteLLM evaluates a router at: thresholds at the edges of `bins` equal-count bins
 * of the scores (the minimum, the deciles, the maximum); at each edge the requests scoring at
 * least it go to the strong model (above it, for the last edge: no strong call at all).
 * `score` = how much a request needs the strong model (RouteLLM's "strong win rate").
 */
export function routerCurve(
  score: readonly number[],
  weakCorrect: readonly boolean[],
  strongCorrect: readonly boolean[],
  bins = 10,
): RouterCurvePoint[] {
  const n = score.length;
  const sorted = [...score].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 0; k <= bins; k++) {
    const pos = ((n - 1) * k) / bins;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    edges.push(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
  }
  return edges.map((t, k) => {
    let strong = 0;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      const toStrong = k === edges.length - 1 ? score[i]! > t : score[i]! >= t;
      if (toStrong) strong++;
      if (toStrong ? strongCorrect[i] : weakCorrect[i]) correct++;
    }
    return { strongShare: strong / n, accuracy: correct / n };
  });
}

function byShare(points: readonly RouterCurvePoint[]): RouterCurvePoint[] {
  return [...points].sort((a, b) => a.strongShare - b.strongShare || a.accuracy - b.accuracy);
}

/** Trapezoidal area under accuracy over strong share (RouteLLM's AUC). */
function area(points: readonly RouterCurvePoint[], value: (p: RouterCurvePoint) => number): number {
  const pts = byShare(points);
  let s = 0;
  for (let i = 1; i < pts.length; i++) {
    s += ((value(pts[i]!) + value(pts[i - 1]!)) / 2) * (pts[i]!.strongShare - pts[i - 1]!.strongShare);
  }
  return s;
}

/** APGR: the share of the weak-to-strong accuracy gap the router recovers, averaged over its curve. */
export function apgr(
  points: readonly RouterCurvePoint[],
  weakAccuracy: number,
  strongAccuracy: number,
): number {
  const routed = area(points, (p) => p.accuracy);
  const weak = area(points, () => weakAccuracy);
  const strong = area(points, () => strongAccuracy);
  return strong === weak ? NaN : (routed - weak) / (strong - weak);
}

/**
 * CPT(x): the strong-call share at which the curve reaches weak + x × (strong - weak) accuracy,
 * interpolated linearly between the curve's points. RouteLLM uses np.interp over the points
 * sorted by share, which assumes accuracy rises with share; where a measured curve dips, this
 * takes the first crossing of the target, which is the same on a rising curve. NaN if the curve
 * never reaches the target.
 */
export function cpt(
  points: readonly RouterCurvePoint[],
  x: number,
  weakAccuracy: number,
  strongAccuracy: number,
): number {
  const target = weakAccuracy + x * (strongAccuracy - weakAccuracy);
  const pts = byShare(points);
  if (pts.length === 0) return NaN;
  if (pts[0]!.accuracy >= target) return pts[0]!.strongShare;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (b.accuracy >= target) {
      if (b.accuracy === a.accuracy) return b.strongShare;
      return (
        a.strongShare + ((target - a.accuracy) / (b.accuracy - a.accuracy)) * (b.strongShare - a.strongShare)
      );
    }
  }
  return NaN;
}
