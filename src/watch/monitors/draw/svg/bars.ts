/** Rectangles for bar charts: vertical from a baseline, horizontal from an origin. */
import { el } from './escape';

/** A vertical bar between value `y` and the zero line `y0` (either may be on top). */
export function vbar(
  x: number,
  width: number,
  y: number,
  y0: number,
  style: { fill: string; cls?: string; title?: string },
): string {
  const top = Math.min(y, y0);
  const h = Math.max(Math.abs(y0 - y), 0.5);
  const rect = el('rect', {
    class: style.cls,
    x,
    y: top,
    width: Math.max(0.5, width),
    height: h,
    fill: style.fill,
  });
  return style.title === undefined ? rect : withTitle(rect, style.title);
}

/** A horizontal bar from `x0` to `x` at row `y` of height `height`. */
export function hbar(
  x0: number,
  x: number,
  y: number,
  height: number,
  style: { fill: string; cls?: string; title?: string },
): string {
  const left = Math.min(x, x0);
  const w = Math.max(Math.abs(x - x0), 0.5);
  const rect = el('rect', { class: style.cls, x: left, y, width: w, height, fill: style.fill });
  return style.title === undefined ? rect : withTitle(rect, style.title);
}

/** A hover tooltip: the element wrapped in a group with an (escaped) <title>. */
export function withTitle(inner: string, title: string): string {
  return `<g>${el('title', {}, escText(title))}${inner}</g>`;
}

function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
