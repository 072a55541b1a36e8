/** Interval whiskers (low..high with end caps) and the point estimate on them. */
import { el } from './escape';

/** A vertical whisker at x from y `low` to y `high` (pixels). */
export function vwhisker(
  x: number,
  low: number,
  high: number,
  style: { stroke: string; cap?: number },
): string {
  const c = style.cap ?? 4;
  return [
    el('line', { x1: x, x2: x, y1: low, y2: high, stroke: style.stroke, 'stroke-width': 1.5 }),
    el('line', { x1: x - c, x2: x + c, y1: low, y2: low, stroke: style.stroke, 'stroke-width': 1.5 }),
    el('line', { x1: x - c, x2: x + c, y1: high, y2: high, stroke: style.stroke, 'stroke-width': 1.5 }),
  ].join('');
}

/** A horizontal whisker at y from x `low` to x `high` (pixels). */
export function hwhisker(
  y: number,
  low: number,
  high: number,
  style: { stroke: string; cap?: number },
): string {
  const c = style.cap ?? 4;
  return [
    el('line', { x1: low, x2: high, y1: y, y2: y, stroke: style.stroke, 'stroke-width': 1.5 }),
    el('line', { x1: low, x2: low, y1: y - c, y2: y + c, stroke: style.stroke, 'stroke-width': 1.5 }),
    el('line', { x1: high, x2: high, y1: y - c, y2: y + c, stroke: style.stroke, 'stroke-width': 1.5 }),
  ].join('');
}

/** The point estimate: a filled circle with a white ring so it reads over the whisker. */
export function marker(x: number, y: number, style: { fill: string; r?: number; cls?: string }): string {
  return el('circle', {
    class: style.cls,
    cx: x,
    cy: y,
    r: style.r ?? 4.5,
    fill: style.fill,
    stroke: '#fff',
    'stroke-width': 1.5,
  });
}
