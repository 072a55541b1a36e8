/**
 * (a) Cost vs baseline over time: per bucket, what the routed requests cost (every model call),
 * what the baseline (the task's static model alone) would have cost, and the router layer; below,
 * the net savings per bucket as bars above (saved) or below (lost) zero.
 */
import type { Report } from '../types';
import { money } from '../draw/format';
import { axisBottom, axisLeft } from '../draw/svg/axis';
import { vbar } from '../draw/svg/bars';
import { el } from '../draw/svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { line, type Pt } from '../draw/svg/line';
import { linearScale, niceDomain, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { timeTicks } from '../draw/svg/time';
import { CHART_WIDTH, type Chart, moneyTick } from '../draw/chart';

export function costChart(report: Report): Chart {
  const name = 'cost';
  const title = 'Cost vs baseline over time';
  const series = report.series;
  const total = series.reduce((s, p) => s + p.requests, 0);
  const net = series.reduce((s, p) => s + p.netSavingsUsd, 0);
  const what =
    `Per ${bucketWord(report.bucketMs)}: the routed requests' model cost, what the baseline (each task's static ` +
    `model alone) would have cost, and the router's own cost; below, net savings per bucket`;
  const caption = `${what} (${money(net)} over the window, ${money(report.costs.netSavingsUsd)} in the cost layers).`;
  if (series.length === 0 || total === 0) {
    const empty = series.length === 0 ? 'no time series for this window' : 'no requests in this window';
    return { name, title, caption: `${what}.`, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }

  const W = CHART_WIDTH;
  const M = { left: 78, right: 20, top: 34 };
  const topH = 200;
  const gap = 46;
  const botH = 90;
  const H = M.top + topH + gap + botH + 38;
  const x0 = M.left;
  const x1 = W - M.right;
  const from = report.window.from;
  const to = Math.max(report.window.to, (series[series.length - 1]?.at ?? from) + report.bucketMs);
  const sx = linearScale([from, to], [x0, x1]);
  const mid = (at: number) => sx(at + report.bucketMs / 2);

  const costValues = series.flatMap((p) => [p.costUsd, p.baselineCostUsd, p.routerCostUsd]);
  const yd = niceDomain(costValues, { zero: true, count: 4 });
  const sy = linearScale(yd, [M.top + topH, M.top]);
  const yStep = niceStep(yd[0], yd[1], 4);

  const nd = niceDomain(
    series.map((p) => p.netSavingsUsd),
    { zero: true, count: 2 },
  );
  const bTop = M.top + topH + gap;
  const sn = linearScale(nd, [bTop + botH, bTop]);
  const nStep = niceStep(nd[0], nd[1], 2);

  const ticks = timeTicks(from, to, 8).map((t) => ({ x: sx(t.at), label: t.label }));
  const pts = (f: (p: Report['series'][number]) => number): Pt[] => series.map((p) => [mid(p.at), sy(f(p))]);
  const barW = Math.max(1, (sx(from + report.bucketMs) - sx(from)) * 0.7);

  const out: string[] = [
    legend(
      [
        { label: 'baseline cost', color: COLORS.baseline, kind: 'dash' },
        { label: 'actual model cost', color: COLORS.actual, kind: 'line' },
        { label: 'router cost', color: COLORS.router, kind: 'line' },
        { label: 'net saved', color: COLORS.savings, kind: 'bar' },
        { label: 'net lost', color: COLORS.loss, kind: 'bar' },
      ],
      x0,
      18,
    ),
    axisLeft(sy, { x: x0, gridTo: x1, format: moneyTick(yStep), count: 4, title: 'USD per bucket' }),
    axisBottom(ticks, { y: M.top + topH, x0, x1 }),
    `<g class="series">`,
    line(
      pts((p) => p.baselineCostUsd),
      { stroke: COLORS.baseline, dash: '6 4', cls: 'baseline' },
    ),
    line(
      pts((p) => p.costUsd),
      { stroke: COLORS.actual, width: 2.5, cls: 'actual' },
    ),
    line(
      pts((p) => p.routerCostUsd),
      { stroke: COLORS.router, cls: 'router' },
    ),
    `</g>`,
    text(x0, bTop - 10, 'net savings per bucket', { fill: COLORS.muted }),
    axisLeft(sn, { x: x0, gridTo: x1, format: moneyTick(nStep), count: 2 }),
    `<g class="bars">`,
    ...series.map((p) =>
      vbar(mid(p.at) - barW / 2, barW, sn(p.netSavingsUsd), sn(0), {
        fill: p.netSavingsUsd >= 0 ? COLORS.savings : COLORS.loss,
        title: `${new Date(p.at).toISOString().slice(0, 16)}Z: net ${money(p.netSavingsUsd)} (${p.requests} requests)`,
      }),
    ),
    `</g>`,
    el('line', { x1: x0, x2: x1, y1: sn(0), y2: sn(0), stroke: COLORS.ink, 'stroke-width': 1 }),
    axisBottom(ticks, { y: bTop + botH, x0, x1 }),
  ];
  out.push(text((x0 + x1) / 2, H - 4, 'time (UTC)', { anchor: 'middle', fill: COLORS.muted }));
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}

function bucketWord(ms: number): string {
  if (ms === 3_600_000) return 'hour';
  if (ms === 86_400_000) return 'day';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} s bucket`;
}
