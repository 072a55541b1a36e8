/**
 * The outer pieces of a chart: the <svg> root (sized by its viewBox, scaling down with the page),
 * plain text, a legend, and the "no data: why" panel an empty chart shows instead of bare axes.
 */
import { el, esc } from './escape';
import { COLORS, FONT } from './theme';

export function svgRoot(width: number, height: number, inner: string, label: string): string {
  return el(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': label,
      'font-family': FONT.family,
      'font-size': FONT.size,
    },
    `${el('rect', { class: 'bg', width, height, fill: '#fff' })}${inner}`,
  );
}

export interface TextOptions {
  anchor?: 'start' | 'middle' | 'end';
  fill?: string;
  size?: number;
  weight?: string;
  cls?: string;
  /** Clip to about this many characters; the full text then shows as a tooltip. */
  max?: number;
}

export function text(x: number, y: number, s: string, opts: TextOptions = {}): string {
  const shown = opts.max === undefined ? s : clip(s, opts.max);
  return el(
    'text',
    {
      class: opts.cls,
      x,
      y,
      'text-anchor': opts.anchor,
      fill: opts.fill ?? COLORS.ink,
      'font-size': opts.size,
      'font-weight': opts.weight,
    },
    shown === s ? esc(s) : `<title>${esc(s)}</title>${esc(shown)}`,
  );
}

/** Shortens a label to about `max` characters (the full text goes in a <title>). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

export type LegendKind = 'line' | 'dash' | 'band' | 'bar' | 'dot' | 'ring';

/** A one-line legend starting at (x, y); returns the markup. */
export function legend(
  items: { label: string; color: string; kind: LegendKind }[],
  x: number,
  y: number,
): string {
  const out: string[] = [];
  let cx = x;
  for (const it of items) {
    if (it.kind === 'line' || it.kind === 'dash')
      out.push(
        el('line', {
          x1: cx,
          x2: cx + 18,
          y1: y - 4,
          y2: y - 4,
          stroke: it.color,
          'stroke-width': 2.5,
          'stroke-dasharray': it.kind === 'dash' ? '5 3' : undefined,
        }),
      );
    else if (it.kind === 'dot') out.push(el('circle', { cx: cx + 9, cy: y - 4, r: 4.5, fill: it.color }));
    else if (it.kind === 'ring')
      out.push(
        el('circle', { cx: cx + 9, cy: y - 4, r: 5, fill: '#fff', stroke: it.color, 'stroke-width': 2.5 }),
      );
    else
      out.push(
        el('rect', {
          x: cx,
          y: y - 10,
          width: 18,
          height: 11,
          fill: it.color,
          'fill-opacity': it.kind === 'band' ? 0.3 : 1,
        }),
      );
    out.push(text(cx + 23, y, it.label, { fill: COLORS.ink }));
    cx += 23 + it.label.length * 6.2 + 16;
  }
  return `<g class="legend">${out.join('')}</g>`;
}

/** The panel an empty chart shows: a dashed frame with "no data" and the reason. */
export function emptyPanel(width: number, height: number, reason: string): string {
  const inner = [
    el('rect', {
      x: 8,
      y: 8,
      width: width - 16,
      height: height - 16,
      rx: 6,
      fill: '#f8fafc',
      stroke: COLORS.axis,
      'stroke-dasharray': '6 4',
    }),
    text(width / 2, height / 2 - 6, 'no data', {
      anchor: 'middle',
      size: 20,
      weight: '600',
      fill: COLORS.muted,
    }),
    text(width / 2, height / 2 + 20, reason, { anchor: 'middle', size: 14, fill: COLORS.muted }),
  ].join('');
  return svgRoot(width, height, `<g class="empty">${inner}</g>`, `no data: ${reason}`);
}
