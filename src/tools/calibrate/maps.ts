/**
 * Calibration maps from a rung's raw confidence (a log-probability: answer logprob, self-check
 * log P(yes); or a judge score / 10) to P(correct), fitted on labelled outcomes:
 *
 * - isotonic: pool-adjacent-violators on the raw values, monotone non-decreasing; output as a
 *   `piecewise` map whose knots are each block's lowest and highest raw value (flat inside a
 *   block, linear between blocks);
 * - Platt: P = sigmoid(a * raw + b), fitted by Newton's method on Platt's smoothed targets
 *   ((N+ + 1) / (N+ + 2) and 1 / (N- + 2)), so a perfectly separated set still gives a finite slope.
 *
 * `selectCalibrationMap` fits both on k - 1 folds and scores them on the held-out fold; the one
 * with the lower mean held-out log loss is refitted on everything.
 */
import { calibrate } from '../../request/router/confidence';
import type { ConfidenceSource } from '../../request/config/schema';
import type { CalibrationMap } from '../../request/router/policy';
import { meanLogLoss } from './metrics';
import { foldAssignment } from '../../request/router/random';

export function fitIsotonic(xs: readonly number[], ys: readonly boolean[]): CalibrationMap {
  if (xs.length === 0) return { kind: 'identity' };
  // Group equal raw values first: PAV over unique x with weights.
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ux: number[] = [];
  const sumY: number[] = [];
  const w: number[] = [];
  for (const i of order) {
    const x = xs[i]!;
    if (ux.length > 0 && ux[ux.length - 1] === x) {
      sumY[sumY.length - 1]! += ys[i] ? 1 : 0;
      w[w.length - 1]!++;
    } else {
      ux.push(x);
      sumY.push(ys[i] ? 1 : 0);
      w.push(1);
    }
  }
  // Blocks: [start, end] over unique values, with their weight and mean.
  const blocks: { lo: number; hi: number; w: number; mean: number }[] = [];
  for (let i = 0; i < ux.length; i++) {
    blocks.push({ lo: ux[i]!, hi: ux[i]!, w: w[i]!, mean: sumY[i]! / w[i]! });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.mean >= blocks[blocks.length - 1]!.mean) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      const weight = a.w + b.w;
      blocks.push({ lo: a.lo, hi: b.hi, w: weight, mean: (a.mean * a.w + b.mean * b.w) / weight });
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (const b of blocks) {
    const p = round6(b.mean);
    x.push(round6(b.lo));
    y.push(p);
    if (b.hi !== b.lo) {
      x.push(round6(b.hi));
      y.push(p);
    }
  }
  return { kind: 'piecewise', x, y };
}

export function fitPlatt(xs: readonly number[], ys: readonly boolean[]): CalibrationMap {
  const n = xs.length;
  const pos = ys.filter(Boolean).length;
  const neg = n - pos;
  const tPos = (pos + 1) / (pos + 2);
  const tNeg = 1 / (neg + 2);
  const t = ys.map((y) => (y ? tPos : tNeg));
  let a = 0;
  let b = Math.log((pos + 1) / (neg + 1));
  const objective = (aa: number, bb: number) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const z = aa * xs[i]! + bb;
      // log(1 + e^z) - t z, computed stably
      f += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - t[i]! * z;
    }
    return f;
  };
  let f = objective(a, b);
  for (let it = 0; it < 100; it++) {
    let g1 = 0;
    let g2 = 0;
    let h11 = 1e-12;
    let h22 = 1e-12;
    let h21 = 0;
    for (let i = 0; i < n; i++) {
      const z = a * xs[i]! + b;
      const p = 1 / (1 + Math.exp(-z));
      const d = p - t[i]!;
      const s = p * (1 - p);
      g1 += d * xs[i]!;
      g2 += d;
      h11 += s * xs[i]! * xs[i]!;
      h22 += s;
      h21 += s * xs[i]!;
    }
    if (Math.abs(g1) < 1e-10 && Math.abs(g2) < 1e-10) break;
    const det = h11 * h22 - h21 * h21;
    if (!(Math.abs(det) > 1e-18)) break;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    let stepLen = 1;
    let improved = false;
    while (stepLen > 1e-8) {
      const na = a + stepLen * da;
      const nb = b + stepLen * db;
      const nf = objective(na, nb);
      if (nf < f + 1e-4 * stepLen * (g1 * da + g2 * db)) {
        a = na;
        b = nb;
        f = nf;
        improved = true;
        break;
      }
      stepLen /= 2;
    }
    if (!improved) break;
  }
  return { kind: 'platt', a: round6(a), b: round6(b) };
}

export type MapKind = 'isotonic' | 'platt';

export interface MapSelection {
  map: CalibrationMap;
  chosen: MapKind;
  /** Mean held-out log loss of each kind over the folds. */
  heldOutLogLoss: Record<MapKind, number>;
  folds: number;
  rows: number;
  positives: number;
}

export function selectCalibrationMap(
  xs: readonly number[],
  ys: readonly boolean[],
  source: ConfidenceSource,
  opts: { folds?: number; seed?: number } = {},
): MapSelection {
  const k = Math.max(2, Math.min(opts.folds ?? 5, xs.length));
  const fold = foldAssignment(xs.length, k, opts.seed ?? 1);
  const fitters: Record<MapKind, (x: readonly number[], y: readonly boolean[]) => CalibrationMap> = {
    isotonic: fitIsotonic,
    platt: fitPlatt,
  };
  const heldOutLogLoss = { isotonic: 0, platt: 0 };
  for (const kind of ['isotonic', 'platt'] as const) {
    const ps = new Array<number>(xs.length).fill(0.5);
    for (let f = 0; f < k; f++) {
      const tx: number[] = [];
      const ty: boolean[] = [];
      xs.forEach((x, i) => {
        if (fold[i] !== f) {
          tx.push(x);
          ty.push(ys[i]!);
        }
      });
      const map = fitters[kind](tx, ty);
      xs.forEach((x, i) => {
        if (fold[i] === f) ps[i] = calibrate(map, x, source);
      });
    }
    heldOutLogLoss[kind] = Math.round(meanLogLoss(ps, ys) * 1e5) / 1e5;
  }
  const chosen: MapKind = heldOutLogLoss.platt <= heldOutLogLoss.isotonic ? 'platt' : 'isotonic';
  return {
    map: fitters[chosen](xs, ys),
    chosen,
    heldOutLogLoss,
    folds: k,
    rows: xs.length,
    positives: ys.filter(Boolean).length,
  };
}

function round6(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(6));
}
