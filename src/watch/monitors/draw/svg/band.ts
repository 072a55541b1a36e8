/** Shaded areas: between two series (an interval over time) or a constant band (a baseline). */
import { el, num } from './escape';

export interface BandPt {
  x: number;
  low: number | null;
  high: number | null;
}

/** One closed path per run of points where both bounds are known. */
export function bandPath(points: BandPt[]): string {
  const runs: { x: number; low: number; high: number }[][] = [];
  let cur: { x: number; low: number; high: number }[] = [];
  for (const p of points) {
    if (p.low === null || p.high === null || !Number.isFinite(p.low) || !Number.isFinite(p.high)) {
      if (cur.length) runs.push(cur);
      cur = [];
      continue;
    }
    cur.push({ x: p.x, low: p.low, high: p.high });
  }
  if (cur.length) runs.push(cur);
  return runs
    .map((run) => {
      // A single point gets a sliver so it still shows.
      const r =
        run.length === 1 && run[0]
          ? [
              { ...run[0], x: run[0].x - 2 },
              { ...run[0], x: run[0].x + 2 },
            ]
          : run;
      const top = r.map((p, i) => `${i ? 'L' : 'M'}${num(p.x)},${num(p.high)}`).join('');
      const bottom = [...r]
        .reverse()
        .map((p) => `L${num(p.x)},${num(p.low)}`)
        .join('');
      return `${top}${bottom}Z`;
    })
    .join('');
}

export function band(points: BandPt[], style: { fill: string; opacity?: number; cls?: string }): string {
  const d = bandPath(points);
  if (!d) return '';
  return el('path', {
    class: style.cls,
    d,
    fill: style.fill,
    'fill-opacity': style.opacity ?? 0.25,
    stroke: 'none',
  });
}

/** A horizontal band from y `top` to y `bottom` (pixels) across x0..x1. */
export function hband(
  x0: number,
  x1: number,
  top: number,
  bottom: number,
  style: { fill: string; opacity?: number; cls?: string },
): string {
  const y = Math.min(top, bottom);
  return el('rect', {
    class: style.cls,
    x: x0,
    y,
    width: Math.max(0, x1 - x0),
    height: Math.max(1, Math.abs(bottom - top)),
    fill: style.fill,
    'fill-opacity': style.opacity ?? 0.25,
  });
}
