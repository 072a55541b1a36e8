/**
 * The monitors' statistics against known values (textbook tables, hand-computed examples), and
 * the PSI noise bar against simulation: under "same distribution" it must be crossed about
 * 1 - confidence of the time, and a real shift must cross it.
 */
import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  chiSquareQuantile,
  meanInterval,
  normalCdf,
  normalQuantile,
  psi,
  twoProportionPValue,
  wilson,
} from '../../src/watch/monitors/stats';
import { gauss, rng } from './monitors-fixtures';

describe('normal and chi-square', () => {
  it('matches the tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
    // chi-square upper quantiles (any statistics table)
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841, 3);
    expect(chiSquareQuantile(0.99, 1)).toBeCloseTo(6.635, 3);
    expect(chiSquareQuantile(0.95, 2)).toBeCloseTo(5.991, 3);
    expect(chiSquareQuantile(0.95, 9)).toBeCloseTo(16.919, 3);
    expect(chiSquareQuantile(0.99, 9)).toBeCloseTo(21.666, 3);
    expect(chiSquareQuantile(0.999, 20)).toBeCloseTo(45.315, 3);
    expect(chiSquareQuantile(0.5, 3)).toBeCloseTo(2.366, 3);
    expect(chiSquareCdf(chiSquareQuantile(0.9, 4), 4)).toBeCloseTo(0.9, 10);
  });
});

describe('wilson', () => {
  it('gives the Wilson score interval', () => {
    // 3/10 at 95%: 0.1078 .. 0.6032 (Wilson 1927; Newcombe 1998, table I)
    const r = wilson(3, 10, 0.95);
    expect(r).toMatchObject({ n: 10, k: 3, rate: 0.3 });
    expect(r.low).toBeCloseTo(0.1078, 4);
    expect(r.high).toBeCloseTo(0.6032, 4);
    // 0/10: the interval still has width (unlike the normal one)
    expect(wilson(0, 10, 0.95).low).toBe(0);
    expect(wilson(0, 10, 0.95).high).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10, 0.95).high).toBe(1);
    // wider at higher confidence
    expect(wilson(3, 10, 0.99).low!).toBeLessThan(r.low!);
  });

  it('is null without data', () => {
    expect(wilson(0, 0, 0.99)).toEqual({ n: 0, k: 0, rate: null, low: null, high: null });
  });
});

describe('twoProportionPValue', () => {
  it('gives the pooled z-test p-value', () => {
    // 45/100 vs 30/100: z = 2.191, two-sided p = 0.02846
    expect(twoProportionPValue(45, 100, 30, 100)).toBeCloseTo(0.02846, 4);
    expect(twoProportionPValue(30, 100, 45, 100)).toBeCloseTo(0.02846, 4);
    expect(twoProportionPValue(50, 100, 50, 100)).toBeCloseTo(1, 6);
    expect(twoProportionPValue(0, 50, 0, 80)).toBe(1);
    expect(twoProportionPValue(1, 0, 1, 10)).toBeNull();
  });
});

describe('meanInterval', () => {
  it('is the normal interval of a mean', () => {
    const m = meanInterval([7, 8, 9], 0.95);
    expect(m.mean).toBe(8);
    // s = 1, n = 3: 8 +- 1.96 / sqrt(3)
    expect(m.low).toBeCloseTo(8 - 1.959964 / Math.sqrt(3), 5);
  });
});

describe('psi', () => {
  it('bins a binary feature by value: 50/50 -> 70/30 is 0.1695, noise bar chi2(1) x (1/n + 1/m)', () => {
    const ref = [...Array<number>(50).fill(0), ...Array<number>(50).fill(1)];
    const cur = [...Array<number>(70).fill(0), ...Array<number>(30).fill(1)];
    const r = psi(ref, cur, { confidence: 0.99 });
    expect(r.binning).toBe('value');
    expect(r.bins).toBe(2);
    expect(r.psi).toBeCloseTo(0.2 * Math.log(0.7 / 0.5) + -0.2 * Math.log(0.3 / 0.5), 10);
    expect(r.psi).toBeCloseTo(0.16946, 4);
    expect(r.critical).toBeCloseTo(6.6349 * (1 / 100 + 1 / 100), 4);
  });

  it('is 0 for the same sample, and finite when a value is new', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i * 1.5);
    expect(psi(xs, xs, { confidence: 0.99 }).psi).toBeCloseTo(0, 12);
    const withNew = psi([0, 0, 1, 1], [0, 1, 2, 2], { confidence: 0.99 });
    expect(withNew.bins).toBe(3); // 0, 1, and "not in the reference"
    expect(Number.isFinite(withNew.psi)).toBe(true);
    // the empty reference bin counts as half an observation: 0.5 / 4
    const expected = 2 * (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.5 - 0.125) * Math.log(0.5 / 0.125);
    expect(withNew.psi).toBeCloseTo(expected, 10);
  });

  it('uses reference deciles for a continuous feature', () => {
    const rand = rng(7);
    const ref = Array.from({ length: 1000 }, () => gauss(rand));
    const r = psi(ref, ref.slice(0, 500), { confidence: 0.99 });
    expect(r.binning).toBe('quantile');
    expect(r.bins).toBe(10);
    expect(r.critical).toBeCloseTo(21.666 * (1 / 1000 + 1 / 500), 3);
  });

  it('noise crosses the critical PSI about 1 - confidence of the time; a half-sd shift nearly always', () => {
    const rand = rng(42);
    const trials = 400;
    let noise = 0;
    let shift = 0;
    for (let t = 0; t < trials; t++) {
      const ref = Array.from({ length: 300 }, () => gauss(rand));
      const same = Array.from({ length: 300 }, () => gauss(rand));
      const moved = Array.from({ length: 300 }, () => gauss(rand) + 0.5);
      if (psi(ref, same, { confidence: 0.99 }).psi > psi(ref, same, { confidence: 0.99 }).critical) noise++;
      const m = psi(ref, moved, { confidence: 0.99 });
      if (m.psi > m.critical) shift++;
    }
    // Expected 1% (4 of 400); the chi-square approximation of PSI is a little loose: allow up to 3%.
    expect(noise / trials).toBeLessThan(0.03);
    expect(shift / trials).toBeGreaterThan(0.95);
  });
});
