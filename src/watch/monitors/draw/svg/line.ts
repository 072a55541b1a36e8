/** Polylines through points; a null value breaks the line (a bucket without data is a gap). */
import { el, num } from './escape';

export type Pt = [x: number, y: number | null];

/** The `d` of a path through the points, one segment per run of non-null values. */
export function linePath(points: Pt[]): string {
  const parts: string[] = [];
  let pen = false;
  for (const [x, y] of points) {
    if (y === null || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    parts.push(`${pen ? 'L' : 'M'}${num(x)},${num(y)}`);
    pen = true;
  }
  return parts.join('');
}

export function line(
  points: Pt[],
  style: { stroke: string; width?: number; dash?: string; cls?: string },
): string {
  const d = linePath(points);
  if (!d) return '';
  return el('path', {
    class: style.cls,
    d,
    fill: 'none',
    stroke: style.stroke,
    'stroke-width': style.width ?? 2,
    'stroke-dasharray': style.dash,
    'stroke-linejoin': 'round',
    'stroke-linecap': 'round',
  });
}

/** Small circles at the non-null points (so a lone point in a gap still shows). */
export function dots(points: Pt[], style: { fill: string; r?: number; cls?: string }): string {
  return points
    .filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1]))
    .map(([x, y]) => el('circle', { class: style.cls, cx: x, cy: y, r: style.r ?? 2.5, fill: style.fill }))
    .join('');
}
