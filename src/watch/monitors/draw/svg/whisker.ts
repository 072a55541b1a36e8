/** Interval whiskers (low..high with end caps) and the point estimate on them. */
import { el } from './escape';

export interface WhiskerStyle {
  stroke: string;
  /** Half the length of an end cap, pixels (default 4). */
  cap?: number;
}

/** A whisker is three lines, [x1, x2, y1, y2] each: the bar, then its caps at `low` and `high`. */
function whisker(style: WhiskerStyle, lines: (cap: number) => [number, number, number, number][]): string {
  return lines(style.cap ?? 4)
    .map(([x1, x2, y1, y2]) => el('line', { x1, x2, y1, y2, stroke: style.stroke, 'stroke-width': 1.5 }))
    .join('');
}

/** A vertical whisker at x from y `low` to y `high` (pixels). */
export function vwhisker(x: number, low: number, high: number, style: WhiskerStyle): string {
  return whisker(style, (c) => [
    [x, x, low, high],
    [x - c, x + c, low, low],
    [x - c, x + c, high, high],
  ]);
}

/** A horizontal whisker at y from x `low` to x `high` (pixels). */
export function hwhisker(y: number, low: number, high: number, style: WhiskerStyle): string {
  return whisker(style, (c) => [
    [low, high, y, y],
    [low, low, y - c, y + c],
    [high, high, y - c, y + c],
  ]);
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
