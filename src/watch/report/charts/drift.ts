/**
 * (e) Drift against the reference. Features: the PSI of each input feature's distribution as a
 * bar, with that feature's critical value (the PSI sampling noise alone would reach) as a black
 * tick; red bars crossed it. Outcomes: per task and model, reference → current accuracy (from
 * feedback) and escalation rate, each as a grey dot joined to the current dot; drifted rows in red.
 */
import type { FeatureDrift, OutcomeDrift, Rate, Report } from '../../monitors/types';
import { count, pct } from '../format';
import { axisBottom, linearTicks } from '../svg/axis';
import { hbar } from '../svg/bars';
import { el } from '../svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../svg/frame';
import { linearScale, niceDomain, niceStep } from '../svg/scale';
import { COLORS } from '../svg/theme';
import { marker } from '../svg/whisker';
import { CHART_WIDTH, type Chart, pctTick, stepDecimals } from './chart';

export const MAX_DRIFT_ROWS = 16;

function noReference(report: Report): string | null {
  return report.reference === null ? 'no reference window or calibration snapshot to compare against' : null;
}

export function featureDriftChart(report: Report): Chart {
  const name = 'drift-features';
  const title = 'Input drift: PSI per feature';
  const sorted = [...report.drift.features].sort(
    (a, b) => Number(b.drifted) - Number(a.drifted) || b.psi / (b.critical || 1) - a.psi / (a.critical || 1),
  );
  const rows = sorted.slice(0, MAX_DRIFT_ROWS);
  const hidden = sorted.length - rows.length;
  const drifted = sorted.filter((f) => f.drifted).length;
  const caption =
    `Population stability index of each routing feature, this window vs the reference; the black tick is the ` +
    `critical PSI (above it the shift is not sampling noise). ${drifted} of ${sorted.length} drifted.` +
    (hidden > 0 ? ` ${hidden} quieter feature${hidden === 1 ? '' : 's'} not drawn.` : '');
  if (rows.length === 0) {
    const empty = noReference(report) ?? 'no feature distributions recorded in this window';
    const generic = `Population stability index of each routing feature, this window vs the reference.`;
    return { name, title, caption: generic, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }
  const W = CHART_WIDTH;
  const M = { left: 180, right: 150, top: 34, bottom: 40 };
  const rowH = 26;
  const H = M.top + rows.length * rowH + M.bottom;
  const x0 = M.left;
  const x1 = W - M.right;
  const xd = niceDomain(
    rows.flatMap((f) => [f.psi, f.critical]),
    { zero: true, count: 5 },
  );
  const sx = linearScale(xd, [x0, x1]);
  const step = niceStep(xd[0], xd[1], 5);
  const yb = M.top + rows.length * rowH;
  const out: string[] = [
    legend(
      [
        { label: 'drifted', color: COLORS.drifted, kind: 'bar' },
        { label: 'within noise', color: COLORS.quiet, kind: 'bar' },
        { label: 'critical PSI', color: COLORS.ink, kind: 'line' },
      ],
      x0,
      18,
    ),
    axisBottom(
      linearTicks(sx, (v) => v.toFixed(stepDecimals(step)), 5),
      { y: yb, x0, x1, gridTo: M.top, title: 'PSI' },
    ),
    text(x1 + 12, M.top - 8, 'PSI / critical · n', { fill: COLORS.muted }),
  ];
  rows.forEach((f: FeatureDrift, i) => {
    const y = M.top + i * rowH;
    const cy = y + rowH / 2;
    out.push(
      text(x0 - 10, cy + 4, f.feature, { max: 26, anchor: 'end', weight: f.drifted ? '600' : undefined }),
      hbar(x0, sx(f.psi), y + 5, rowH - 10, {
        fill: f.drifted ? COLORS.drifted : COLORS.quiet,
        cls: f.drifted ? 'bar-drifted' : 'bar-quiet',
        title: `${f.feature}: PSI ${f.psi.toFixed(3)}, critical ${f.critical.toFixed(3)} (n ${f.n} vs ${f.referenceN})`,
      }),
      el('line', {
        class: 'critical',
        x1: sx(f.critical),
        x2: sx(f.critical),
        y1: y + 2,
        y2: y + rowH - 2,
        stroke: COLORS.ink,
        'stroke-width': 2,
      }),
      text(x1 + 12, cy + 4, `${f.psi.toFixed(3)} / ${f.critical.toFixed(3)} · ${count(f.n)}`, {
        fill: f.drifted ? COLORS.drifted : COLORS.muted,
      }),
    );
  });
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}

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
