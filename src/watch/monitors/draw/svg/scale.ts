/** Linear scales and "nice" ticks for the hand-drawn charts. */

export interface LinearScale {
  (x: number): number;
  domain: [number, number];
  range: [number, number];
  ticks(count?: number): number[];
}

export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  let [d0, d1] = domain;
  if (!Number.isFinite(d0) || !Number.isFinite(d1)) [d0, d1] = [0, 1];
  if (d0 === d1) {
    const pad = d0 === 0 ? 1 : Math.abs(d0) * 0.1;
    d0 -= pad;
    d1 += pad;
  }
  const [r0, r1] = range;
  const f = ((x: number) => r0 + ((x - d0) / (d1 - d0)) * (r1 - r0)) as LinearScale;
  f.domain = [d0, d1];
  f.range = [r0, r1];
  f.ticks = (n = 5) => niceTicks(d0, d1, n);
  return f;
}

/** A step of 1, 2, 2.5 or 5 times a power of ten giving about `count` intervals. */
export function niceStep(min: number, max: number, count = 5): number {
  const span = Math.abs(max - min);
  if (span === 0 || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  const nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return nice * p;
}

export function niceTicks(min: number, max: number, count = 5): number[] {
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const step = niceStep(lo, hi, count);
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : +t.toPrecision(12));
  }
  return out;
}

/** A domain extended outward to the nice step, and including zero when asked. */
export function niceDomain(
  values: number[],
  opts: { zero?: boolean; count?: number } = {},
): [number, number] {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (opts.zero) {
    lo = Math.min(0, lo);
    hi = Math.max(0, hi);
  }
  if (lo === hi) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const step = niceStep(lo, hi, opts.count ?? 5);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** Evenly spaced bands (for bar groups and rows): the start of band i and its width. */
export interface BandScale {
  (i: number): number;
  bandwidth: number;
  step: number;
}

export function bandScale(n: number, range: [number, number], padding = 0.2): BandScale {
  const [r0, r1] = range;
  const step = (r1 - r0) / Math.max(1, n);
  const bandwidth = step * (1 - padding);
  const f = ((i: number) => r0 + i * step + (step - bandwidth) / 2) as BandScale;
  f.bandwidth = bandwidth;
  f.step = step;
  return f;
}
