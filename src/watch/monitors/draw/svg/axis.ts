/** Axes with ticks, labels and light grid lines. */
import { el, esc } from './escape';
import { text } from './frame';
import type { LinearScale } from './scale';
import { COLORS, FONT } from './theme';

export interface Tick {
  value: number;
  label: string;
}

/** A vertical axis at `x`, grid lines across to `gridTo` (the plot's right edge). */
export function axisLeft(
  scale: LinearScale,
  opts: { x: number; gridTo: number; format: (v: number) => string; count?: number; title?: string },
): string {
  const out: string[] = [];
  const [r0, r1] = scale.range;
  for (const t of scale.ticks(opts.count ?? 4)) {
    const y = scale(t);
    out.push(
      el('line', { x1: opts.x, x2: opts.gridTo, y1: y, y2: y, stroke: COLORS.grid }),
      el(
        'text',
        { x: opts.x - 5, y: y + 3.5, 'text-anchor': 'end', fill: COLORS.muted, 'font-size': FONT.size - 1 },
        esc(opts.format(t)),
      ),
    );
  }
  out.push(el('line', { x1: opts.x, x2: opts.x, y1: r0, y2: r1, stroke: COLORS.axis }));
  if (opts.title) {
    const cy = (r0 + r1) / 2;
    out.push(
      el(
        'text',
        {
          x: opts.x - 42,
          y: cy,
          transform: `rotate(-90 ${opts.x - 42} ${cy})`,
          'text-anchor': 'middle',
          fill: COLORS.muted,
          'font-size': FONT.size - 1,
        },
        esc(opts.title),
      ),
    );
  }
  return `<g class="axis axis-left">${out.join('')}</g>`;
}

/** A horizontal axis at `y` with the given ticks (positions already in pixels). */
export function axisBottom(
  ticks: { x: number; label: string; max?: number }[],
  opts: { y: number; x0: number; x1: number; gridTo?: number; title?: string },
): string {
  const out: string[] = [
    el('line', { x1: opts.x0, x2: opts.x1, y1: opts.y, y2: opts.y, stroke: COLORS.axis }),
  ];
  for (const t of ticks) {
    if (opts.gridTo !== undefined)
      out.push(el('line', { x1: t.x, x2: t.x, y1: opts.y, y2: opts.gridTo, stroke: COLORS.grid }));
    out.push(
      el('line', { x1: t.x, x2: t.x, y1: opts.y, y2: opts.y + 4, stroke: COLORS.axis }),
      text(t.x, opts.y + 15, t.label, {
        anchor: 'middle',
        fill: COLORS.muted,
        size: FONT.size - 1,
        max: t.max,
      }),
    );
  }
  if (opts.title)
    out.push(
      el(
        'text',
        {
          x: (opts.x0 + opts.x1) / 2,
          y: opts.y + 30,
          'text-anchor': 'middle',
          fill: COLORS.muted,
          'font-size': FONT.size - 1,
        },
        esc(opts.title),
      ),
    );
  return `<g class="axis axis-bottom">${out.join('')}</g>`;
}

/** Ticks of a linear scale, formatted. */
export function linearTicks(
  scale: LinearScale,
  format: (v: number) => string,
  count = 5,
): { x: number; label: string }[] {
  return scale.ticks(count).map((v) => ({ x: scale(v), label: format(v) }));
}
