/**
 * Outcome drift against the reference: per task and model, reference → current accuracy (from
 * feedback) and escalation rate, each as a grey dot joined to the current dot; drifted rows in red.
 */
import type { OutcomeDrift, Rate, Report } from '../types';
import { pct } from '../draw/format';
import { axisBottom, linearTicks } from '../draw/svg/axis';
import { el } from '../draw/svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { linearScale, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { marker } from '../draw/svg/whisker';
import { CHART_WIDTH, MAX_DRIFT_ROWS, noReference, type Chart, pctTick } from '../draw/chart';

export function outcomeDriftChart(report: Report): Chart {
  const name = 'drift-outcomes';
  const title = 'Outcome drift per model: reference → current';
  const sorted = [...report.drift.outcomes].sort((a, b) => Number(b.drifted) - Number(a.drifted));
  const rows = sorted.slice(0, MAX_DRIFT_ROWS);
  const hidden = sorted.length - rows.length;
  const drifted = sorted.filter((o) => o.drifted).length;
  const caption =
    `Per task and model: accuracy from feedback and escalation rate in the reference (grey ring) and this window ` +
    `(blue, red when the shift is significant), with p-values. ${drifted} of ${sorted.length} shifted.` +
    (hidden > 0 ? ` ${hidden} steady model${hidden === 1 ? '' : 's'} not drawn.` : '');
  if (rows.length === 0) {
    const empty = noReference(report) ?? 'no model outcomes recorded in this window';
    const generic = `Per task and model: accuracy from feedback and escalation rate, reference vs this window.`;
    return { name, title, caption: generic, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }
  const W = CHART_WIDTH;
  const M = { left: 220, right: 20, top: 50, bottom: 40 };
  const gap = 40;
  const colW = (W - M.left - M.right - gap) / 2;
  const rowH = 30;
  const H = M.top + rows.length * rowH + M.bottom;
  const yb = M.top + rows.length * rowH;
  const accVals = rows.flatMap((o) =>
    o.accuracy ? [o.accuracy.current.rate, o.accuracy.reference.rate] : [],
  );
  const escVals = rows.flatMap((o) => [o.escalation.current.rate, o.escalation.reference.rate]);
  const cols = [
    { key: 'accuracy' as const, label: 'accuracy (feedback)', x0: M.left, vals: accVals },
    { key: 'escalation' as const, label: 'escalation rate', x0: M.left + colW + gap, vals: escVals },
  ].map((c) => {
    const finite = c.vals.filter((v): v is number => v !== null);
    const lo = finite.length ? Math.max(0, Math.floor((Math.min(...finite) - 0.05) * 10) / 10) : 0;
    const hi = finite.length ? Math.min(1, Math.ceil((Math.max(...finite) + 0.05) * 10) / 10) : 1;
    const sx = linearScale([lo, hi > lo ? hi : lo + 0.1], [c.x0, c.x0 + colW - 70]);
    return { ...c, sx, step: niceStep(sx.domain[0], sx.domain[1], 4) };
  });
  const stripes = rows.map((_, i) =>
    i % 2 === 0 ? el('rect', { x: 0, y: M.top + i * rowH, width: W, height: rowH, fill: '#f1f5f9' }) : '',
  );
  const out: string[] = [
    ...stripes,
    legend(
      [
        { label: 'reference', color: COLORS.reference, kind: 'ring' },
        { label: 'current', color: COLORS.current, kind: 'dot' },
        { label: 'current (drifted)', color: COLORS.drifted, kind: 'dot' },
      ],
      M.left,
      18,
    ),
  ];
  for (const c of cols) {
    out.push(
      text(c.x0, M.top - 10, c.label, { weight: '600' }),
      text(c.x0 + colW - 4, M.top - 10, 'p', { anchor: 'end', fill: COLORS.muted }),
      axisBottom(linearTicks(c.sx, pctTick(c.step), 4), {
        y: yb,
        x0: c.x0,
        x1: c.x0 + colW - 70,
        gridTo: M.top,
      }),
    );
  }
  rows.forEach((o: OutcomeDrift, i) => {
    const y = M.top + i * rowH;
    const cy = y + rowH / 2;
    out.push(
      text(M.left - 12, cy - 1, o.model, {
        max: 30,
        anchor: 'end',
        weight: '600',
        fill: o.drifted ? COLORS.drifted : COLORS.ink,
      }),
      text(M.left - 12, cy + 11, o.task, { max: 32, anchor: 'end', fill: COLORS.muted, size: 10 }),
    );
    for (const c of cols) {
      const pair = c.key === 'accuracy' ? o.accuracy : o.escalation;
      if (pair === null || (pair.current.rate === null && pair.reference.rate === null)) {
        out.push(text(c.x0 + 4, cy + 4, 'no feedback', { fill: COLORS.muted }));
        continue;
      }
      out.push(dumbbell(c.sx, cy, pair.reference, pair.current, o.drifted));
      out.push(
        text(c.x0 + colW - 4, cy + 4, pair.pValue === null ? 'n/a' : formatP(pair.pValue), {
          anchor: 'end',
          fill: pair.pValue !== null && pair.pValue < 0.05 ? COLORS.drifted : COLORS.muted,
        }),
      );
    }
  });
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}

function dumbbell(sx: (v: number) => number, cy: number, ref: Rate, cur: Rate, drifted: boolean): string {
  const out: string[] = [];
  if (ref.rate !== null && cur.rate !== null)
    out.push(
      el('line', {
        x1: sx(ref.rate),
        x2: sx(cur.rate),
        y1: cy,
        y2: cy,
        stroke: drifted ? COLORS.drifted : COLORS.current,
        'stroke-width': 3,
        'stroke-opacity': 0.45,
      }),
    );
  // The reference as a ring a little larger than the current dot, so it shows even when they coincide.
  if (ref.rate !== null)
    out.push(
      el('circle', {
        class: 'mark-reference',
        cx: sx(ref.rate),
        cy,
        r: 6.5,
        fill: '#fff',
        stroke: COLORS.reference,
        'stroke-width': 2.5,
      }),
    );
  if (cur.rate !== null)
    out.push(
      marker(sx(cur.rate), cy, {
        fill: drifted ? COLORS.drifted : COLORS.current,
        r: 4.5,
        cls: 'mark-current',
      }),
    );
  out.push(`<title>${pct(ref.rate)} → ${pct(cur.rate)}</title>`);
  return `<g>${out.join('')}</g>`;
}

function formatP(p: number): string {
  return p < 0.001 ? 'p<0.001' : `p=${p.toFixed(3)}`;
}
