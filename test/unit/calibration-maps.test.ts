import { describe, expect, it } from 'vitest';
import { fitIsotonic, fitPlatt, selectCalibrationMap } from '../../src/tools/calibrate/maps';
import { apgr, auc, cpt, logLoss, routerCurve } from '../../src/tools/calibrate/metrics';
import { seededRandom } from '../../src/request/router/random';
import { calibrate, RAW_LOGPROB_FLOOR } from '../../src/request/router/confidence';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function sample(n: number, seed: number, p: (x: number) => number, lo = -5, hi = 0) {
  const rnd = seededRandom(seed);
  const xs: number[] = [];
  const ys: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const x = lo + (hi - lo) * rnd();
    xs.push(x);
    ys.push(rnd() < p(x));
  }
  return { xs, ys };
}

describe('isotonic calibration (PAV)', () => {
  it('pools adjacent violators into a monotone step map', () => {
    const map = fitIsotonic([1, 2, 3, 4], [true, false, true, true]);
    expect(map).toEqual({ kind: 'piecewise', x: [1, 2, 3, 4], y: [0.5, 0.5, 1, 1] });
    expect(calibrate(map, 1.5)).toBeCloseTo(0.5);
    expect(calibrate(map, 2.5)).toBeCloseTo(0.75); // linear between blocks
    expect(calibrate(map, 10)).toBe(1);
    expect(calibrate(map, -10)).toBe(0.5);
  });

  it('groups tied raw values and is non-decreasing on noisy data', () => {
    const { xs, ys } = sample(500, 1, (x) => sigmoid(1.5 * x + 4));
    const map = fitIsotonic(xs, ys);
    if (map.kind !== 'piecewise') throw new Error('expected piecewise');
    for (let i = 1; i < map.y.length; i++) expect(map.y[i]!).toBeGreaterThanOrEqual(map.y[i - 1]!);
    for (let i = 1; i < map.x.length; i++) expect(map.x[i]!).toBeGreaterThanOrEqual(map.x[i - 1]!);
    const tied = fitIsotonic([0, 0, 0, 1], [true, false, false, true]);
    expect(calibrate(tied, 0)).toBeCloseTo(1 / 3);
  });
});

describe('Platt calibration', () => {
  it('recovers the logistic curve that generated the data', () => {
    const { xs, ys } = sample(4000, 2, (x) => sigmoid(2 * x + 3));
    const map = fitPlatt(xs, ys);
    if (map.kind !== 'platt') throw new Error('expected platt');
    expect(map.a).toBeGreaterThan(1.7);
    expect(map.a).toBeLessThan(2.3);
    expect(map.b).toBeGreaterThan(2.5);
    expect(map.b).toBeLessThan(3.5);
    expect(calibrate(map, -1.5)).toBeCloseTo(sigmoid(map.a * -1.5 + map.b), 12);
  });

  it('stays finite on a perfectly separated set (smoothed targets)', () => {
    const map = fitPlatt([-3, -2, -1, -0.5, -0.2, -0.1], [false, false, false, true, true, true]);
    if (map.kind !== 'platt') throw new Error('expected platt');
    expect(Number.isFinite(map.a) && Number.isFinite(map.b)).toBe(true);
    expect(calibrate(map, -0.1)).toBeGreaterThan(0.5);
    expect(calibrate(map, -3)).toBeLessThan(0.5);
  });

  it('reads log P = -Infinity as the floor, for both kinds', () => {
    const platt = { kind: 'platt' as const, a: 1, b: 0 };
    expect(calibrate(platt, -Infinity)).toBe(calibrate(platt, RAW_LOGPROB_FLOOR));
    expect(calibrate({ kind: 'piecewise', x: [-2, 0], y: [0.1, 0.9] }, -Infinity)).toBe(0.1);
  });
});

describe('choosing the map by held-out log loss', () => {
  it('takes Platt when the truth is logistic and data is scarce', () => {
    const { xs, ys } = sample(60, 3, (x) => sigmoid(1.2 * x + 2.5));
    const sel = selectCalibrationMap(xs, ys, 'answer_logprob', { seed: 1 });
    expect(sel.chosen).toBe('platt');
    expect(sel.heldOutLogLoss.platt).toBeLessThanOrEqual(sel.heldOutLogLoss.isotonic);
    expect(sel.map.kind).toBe('platt');
    expect(sel.rows).toBe(60);
  });

  it('takes isotonic when the truth is a plateau a sigmoid cannot follow', () => {
    // P(correct) is 0.5 below -2.5 and 0.97 above: no sigmoid has a floor at 0.5.
    const { xs, ys } = sample(3000, 4, (x) => (x < -2.5 ? 0.5 : 0.97));
    const sel = selectCalibrationMap(xs, ys, 'answer_logprob', { seed: 1 });
    expect(sel.chosen).toBe('isotonic');
    expect(sel.map.kind).toBe('piecewise');
    expect(calibrate(sel.map, -4)).toBeGreaterThan(0.4);
    expect(calibrate(sel.map, -4)).toBeLessThan(0.6);
  });
});

describe('scores', () => {
  it('log loss is clipped, AUC is rank-based', () => {
    expect(logLoss(0, true)).toBeCloseTo(-Math.log(1e-3));
    expect(logLoss(0.5, false)).toBeCloseTo(Math.log(2));
    expect(auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auc([0.1, 0.1], [false, true])).toBe(0.5);
    expect(auc([0.1, 0.2], [true, true])).toBeNaN();
  });

  it("RouteLLM's APGR and CPT: an oracle recovers the gap, a useless score does not", () => {
    // 100 requests: the weak model is right on the first 60, the strong one on the first 90.
    const weak = Array.from({ length: 100 }, (_, i) => i < 60);
    const strong = Array.from({ length: 100 }, (_, i) => i < 90);
    const oracle = weak.map((w, i) => (!w && strong[i] ? 1 : 0) + i / 1e4); // needs-strong first
    const curve = routerCurve(oracle, weak, strong);
    expect(curve[0]).toEqual({ strongShare: 1, accuracy: 0.9 });
    expect(curve[curve.length - 1]).toEqual({ strongShare: 0, accuracy: 0.6 });
    expect(apgr(curve, 0.6, 0.9)).toBeGreaterThan(0.8);
    // Half the gap (75% accuracy) needs half of the 30 requests that need the strong model.
    expect(cpt(curve, 0.5, 0.6, 0.9)).toBeCloseTo(0.15, 1);
    const linear = [
      { strongShare: 0, accuracy: 0.6 },
      { strongShare: 1, accuracy: 0.9 },
    ];
    expect(apgr(linear, 0.6, 0.9)).toBeCloseTo(0.5, 12);
    expect(cpt(linear, 0.5, 0.6, 0.9)).toBeCloseTo(0.5, 12);
    expect(cpt(linear, 0.8, 0.6, 0.9)).toBeCloseTo(0.8, 12);
  });
});
