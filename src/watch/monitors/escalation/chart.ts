/**
 * (b) Escalation rate over time, one small panel per task: the rate per sub-window (line and
 * dots) with its Wilson interval (light band), against the baseline's interval (grey band) and
 * rate (dashed). The first panel is all traffic together (from the time series). Tasks in alert
 * come first; the count is capped and the rest named in the caption.
 */
import type { EscalationRow, Rate, Report } from '../types';
import { pct } from '../draw/format';
import { axisBottom, axisLeft } from '../draw/svg/axis';
import { band, hband } from '../draw/svg/band';
import { el } from '../draw/svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { dots, line } from '../draw/svg/line';
import { linearScale, niceDomain, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { timeTicks } from '../draw/svg/time';
import { CHART_WIDTH, type Chart, pctTick } from '../draw/chart';

/** Task panels drawn at most (plus the overall panel). */
export const MAX_ESCALATION_PANELS = 8;
const COLS = 3;

interface Panel {
  title: string;
  status: EscalationRow['status'] | null;
  observed: Rate;
  baseline: EscalationRow['baseline'];
  /** Sub-window rates, oldest first, spread evenly over the window. */
  buckets: Rate[];
}

const STATUS_RANK: Record<EscalationRow['status'], number> = { alert: 0, ok: 1, insufficient: 2 };

/** About how wide a character of the charts' font is (FONT.size 11), regular and bold, in px. */
const CHAR_WIDTH = 6.4;
const BOLD_CHAR_WIDTH = 7;

export function escalationChart(report: Report): Chart {
  const name = 'escalation';
  const title = 'Escalation rate over time, per task';
  const rows = [...report.escalation.rows].sort(
    (a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status] || b.observed.n - a.observed.n,
  );
  const shown = rows.slice(0, MAX_ESCALATION_PANELS);
  const hidden = rows.length - shown.length;
  const overallBuckets: Rate[] = report.series.map((p) => rate(p.escalated, p.requests));
  const panels: Panel[] = [];
  if (report.escalation.overall.n > 0 || overallBuckets.some((b) => b.n > 0))
    panels.push({
      title: 'all tasks',
      status: null,
      observed: report.escalation.overall,
      baseline: null,
      buckets: overallBuckets,
    });
  for (const r of shown)
    panels.push({
      title: `${r.task} · ${r.taskType}`,
      status: r.status,
      observed: r.observed,
      baseline: r.baseline,
      buckets: r.buckets,
    });
  const caption =
    `Share of served requests escalated past the first rung, per sub-window, with its interval; the grey band is ` +
    `the expected range (calibration or reference window), the dashed line its rate.` +
    (hidden > 0 ? ` ${hidden} more task${hidden === 1 ? '' : 's'} not drawn (see the table).` : '');
  const hasData = panels.some((p) => p.observed.n > 0 || p.buckets.some((b) => b.n > 0));
  if (!hasData) {
    const empty = 'no served requests in this window, so no escalation rate';
    return { name, title, caption, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }

  const W = CHART_WIDTH;
  const pw = W / COLS;
  const ph = 170;
  const legendH = 28;
  const H = legendH + Math.ceil(panels.length / COLS) * ph;
  const out: string[] = [
    legend(
      [
        { label: 'observed rate', color: COLORS.actual, kind: 'line' },
        { label: 'observed interval', color: COLORS.actual, kind: 'band' },
        { label: 'baseline band', color: COLORS.band, kind: 'band' },
        { label: 'baseline rate', color: COLORS.baseline, kind: 'dash' },
      ],
      12,
      18,
    ),
  ];
  panels.forEach((p, i) => {
    const ox = (i % COLS) * pw;
    const oy = legendH + Math.floor(i / COLS) * ph;
    out.push(`<g class="panel" transform="translate(${ox} ${oy})">${panel(p, pw, ph, report)}</g>`);
  });
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}

function panel(p: Panel, w: number, h: number, report: Report): string {
  const M = { left: 48, right: 14, top: 26, bottom: 26 };
  const x0 = M.left;
  const x1 = w - M.right;
  const yb = h - M.bottom;
  const status = p.status === null ? '' : p.status === 'alert' ? 'ALERT' : p.status;
  const rate = `${pct(p.observed.rate)}${status ? ` · ${status}` : ''}`;
  // The title is clipped to the width the rate on its right leaves it (characters of the theme's
  // size, bold ones wider), so a long task name never runs under the rate.
  const room = x1 - x0 - rate.length * CHAR_WIDTH - 12;
  const out: string[] = [
    text(x0, 16, p.title, { max: Math.max(4, Math.floor(room / BOLD_CHAR_WIDTH)), weight: '600' }),
    text(x1, 16, rate, {
      anchor: 'end',
      fill: p.status === 'alert' ? COLORS.alert : COLORS.muted,
      weight: p.status === 'alert' ? '600' : undefined,
    }),
  ];
  if (p.buckets.every((b) => b.n === 0)) {
    out.push(
      el('rect', {
        x: x0,
        y: M.top,
        width: x1 - x0,
        height: yb - M.top,
        fill: '#f8fafc',
        stroke: COLORS.grid,
      }),
      text((x0 + x1) / 2, (M.top + yb) / 2 + 4, 'no data: no requests', {
        anchor: 'middle',
        fill: COLORS.muted,
      }),
    );
    return out.join('');
  }
  const values = [
    ...p.buckets.flatMap((b) => [b.high, b.rate]),
    p.baseline?.high ?? null,
    p.observed.high,
  ].filter((v): v is number => v !== null);
  const yd = niceDomain([0, ...values], { zero: true, count: 3 });
  yd[1] = Math.min(1, yd[1]);
  const sy = linearScale(yd, [yb, M.top]);
  const n = p.buckets.length;
  const { from, to } = report.window;
  const sx = linearScale([from, to], [x0, x1]);
  const bx = (i: number) => sx(from + ((i + 0.5) * (to - from)) / n);
  const ticks = timeTicks(from, to, 4).map((t) => ({ x: sx(t.at), label: t.label }));
  out.push(
    axisLeft(sy, { x: x0, gridTo: x1, format: pctTick(niceStep(yd[0], yd[1], 3)), count: 3 }),
    axisBottom(ticks, { y: yb, x0, x1 }),
  );
  if (p.baseline) {
    out.push(
      hband(x0, x1, sy(p.baseline.high), sy(p.baseline.low), {
        fill: COLORS.band,
        opacity: 0.3,
        cls: 'baseline-band',
      }),
      el('line', {
        x1: x0,
        x2: x1,
        y1: sy(p.baseline.rate),
        y2: sy(p.baseline.rate),
        stroke: COLORS.baseline,
        'stroke-dasharray': '5 3',
        'stroke-width': 1.5,
      }),
    );
  }
  const pts = p.buckets.map((b, i): [number, number | null] => [bx(i), b.rate === null ? null : sy(b.rate)]);
  out.push(
    band(
      p.buckets.map((b, i) => ({
        x: bx(i),
        low: b.low === null ? null : sy(b.low),
        high: b.high === null ? null : sy(b.high),
      })),
      { fill: COLORS.actual, opacity: 0.15, cls: 'observed-band' },
    ),
    line(pts, { stroke: p.status === 'alert' ? COLORS.alert : COLORS.actual, cls: 'observed' }),
    dots(pts, { fill: p.status === 'alert' ? COLORS.alert : COLORS.actual, r: 2 }),
  );
  return out.join('');
}

/** The overall rate per bucket from the series (no interval: the monitors' confidence is not in the report). */
function rate(k: number, n: number): Rate {
  return { n, k, rate: n === 0 ? null : k / n, low: null, high: null };
}
