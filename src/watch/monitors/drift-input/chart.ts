/**
 * Input drift against the reference: the PSI of each input feature's distribution as a bar, with
 * that feature's critical value (the PSI sampling noise alone would reach) as a black tick; red
 * bars crossed it.
 */
import type { FeatureDrift, Report } from '../types';
import { count } from '../draw/format';
import { axisBottom, linearTicks } from '../draw/svg/axis';
import { hbar } from '../draw/svg/bars';
import { el } from '../draw/svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { linearScale, niceDomain, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { CHART_WIDTH, MAX_DRIFT_ROWS, noReference, type Chart, stepDecimals } from '../draw/chart';

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
