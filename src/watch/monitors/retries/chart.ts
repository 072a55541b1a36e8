/**
 * (d) Retry amplification per task: the share of requests users retried when the first rung
 * answered ("small") vs when the large path did, with intervals, and the ratio above each pair.
 * A small bar much taller than its large neighbour means cheap answers cost a second request.
 */
import type { Report, RetryRow } from '../types';
import { money, pct } from '../draw/format';
import { axisBottom, axisLeft } from '../draw/svg/axis';
import { vbar } from '../draw/svg/bars';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { bandScale, linearScale, niceDomain, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { vwhisker } from '../draw/svg/whisker';
import { CHART_WIDTH, type Chart, pctTick } from '../draw/chart';

export const MAX_RETRY_GROUPS = 12;

export function retriesChart(report: Report): Chart {
  const name = 'retries';
  const title = 'Retry amplification per task';
  const all = report.retries.filter((r) => r.small.n > 0 || r.large.n > 0);
  const rows = [...all].sort((a, b) => b.extraCostUsd - a.extraCostUsd).slice(0, MAX_RETRY_GROUPS);
  const hidden = all.length - rows.length;
  const extra = report.retries.reduce((s, r) => s + r.extraCostUsd, 0);
  const caption =
    `Share of requests the user retried, by the path that served them; ×N is small ÷ large. ` +
    `Retries beyond the large path's rate cost ${money(extra)} in this window.` +
    (hidden > 0 ? ` ${hidden} more task${hidden === 1 ? '' : 's'} not drawn.` : '');
  if (rows.length === 0) {
    const empty =
      report.retries.length === 0
        ? 'no retry links recorded in this window (no request names an earlier one it retries)'
        : 'no served requests on either path in this window';
    const generic = `Share of requests the user retried, by the path that served them.`;
    return { name, title, caption: generic, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }

  const W = CHART_WIDTH;
  const M = { left: 70, right: 20, top: 40, bottom: 56 };
  const H = 320;
  const x0 = M.left;
  const x1 = W - M.right;
  const yb = H - M.bottom;
  const values = rows.flatMap((r) => [r.small.high, r.small.rate, r.large.high, r.large.rate]);
  const yd = niceDomain(
    values.filter((v): v is number => v !== null),
    { zero: true, count: 4 },
  );
  yd[1] = Math.min(1, yd[1] * 1.08);
  const sy = linearScale(yd, [yb, M.top]);
  const groups = bandScale(rows.length, [x0, x1], 0.35);
  const bw = Math.min(48, groups.bandwidth / 2);
  const out: string[] = [
    legend(
      [
        { label: 'retried after a small answer', color: COLORS.small, kind: 'bar' },
        { label: 'retried after a large answer', color: COLORS.escalated, kind: 'bar' },
      ],
      x0,
      18,
    ),
    axisLeft(sy, {
      x: x0,
      gridTo: x1,
      format: pctTick(niceStep(yd[0], yd[1], 4)),
      count: 4,
      title: 'retry rate',
    }),
  ];
  const ticks: { x: number; label: string; max: number }[] = [];
  rows.forEach((r, i) => {
    const cx = groups(i) + groups.bandwidth / 2;
    ticks.push({ x: cx, label: r.task, max: Math.max(6, Math.floor(groups.step / 7)) });
    out.push(bar(r, 'small', cx - bw, bw, sy, yb), bar(r, 'large', cx, bw, sy, yb));
    const top = Math.min(sy(r.small.high ?? r.small.rate ?? 0), sy(r.large.high ?? r.large.rate ?? 0));
    out.push(
      text(cx, top - 6, r.amplification === null ? 'n/a' : `×${r.amplification.toFixed(1)}`, {
        anchor: 'middle',
        weight: '600',
        fill: r.amplification !== null && r.amplification >= 1.5 ? COLORS.alert : COLORS.ink,
      }),
    );
  });
  out.push(axisBottom(ticks, { y: yb, x0, x1 }));
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}

function bar(
  r: RetryRow,
  side: 'small' | 'large',
  x: number,
  w: number,
  sy: (v: number) => number,
  yb: number,
): string {
  const s = r[side];
  const color = side === 'small' ? COLORS.small : COLORS.escalated;
  if (s.rate === null)
    return text(x + w / 2, yb - 4, 'n/a', { anchor: 'middle', fill: COLORS.muted, size: 9 });
  const parts = [
    vbar(x + 1, w - 2, sy(s.rate), yb, {
      fill: color,
      cls: `bar-${side}`,
      title: `${r.task}, ${side}: ${pct(s.rate)} retried (${s.k}/${s.n})`,
    }),
  ];
  if (s.low !== null && s.high !== null)
    parts.push(vwhisker(x + w / 2, sy(s.low), sy(s.high), { stroke: COLORS.ink, cap: 3 }));
  return parts.join('');
}
