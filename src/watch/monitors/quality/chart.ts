/**
 * (c) Quality per route: for each task/type, the mean feedback score of answers served by the
 * first rung ("small") and of answers served after an escalation, each with its interval, the
 * difference and the verdict. Reads like a forest plot: whiskers that do not overlap are a
 * difference that is not noise.
 */
import type { QualityRow, Report } from '../types';
import { signed } from '../draw/format';
import { axisBottom, linearTicks } from '../draw/svg/axis';
import { el } from '../draw/svg/escape';
import { emptyPanel, legend, svgRoot, text } from '../draw/svg/frame';
import { linearScale, niceStep } from '../draw/svg/scale';
import { COLORS } from '../draw/svg/theme';
import { hwhisker, marker } from '../draw/svg/whisker';
import { CHART_WIDTH, type Chart, stepDecimals } from '../draw/chart';

export const MAX_QUALITY_ROWS = 14;

const VERDICT_TEXT: Record<QualityRow['verdict'], string> = {
  ok: 'ok',
  too_aggressive: 'too aggressive',
  too_conservative: 'too conservative',
  insufficient: 'insufficient',
};

export function qualityChart(report: Report): Chart {
  const name = 'quality';
  const title = 'Quality per route: small vs escalated';
  const withFeedback = report.quality.filter(
    (q) => q.small.meanScore !== null || q.escalated.meanScore !== null,
  );
  const rows = withFeedback.slice(0, MAX_QUALITY_ROWS);
  const noFeedback = report.quality
    .filter((q) => !withFeedback.includes(q))
    .map((q) => `${q.task}/${q.taskType}`);
  const capped = withFeedback.length - rows.length;
  const caption =
    `Mean feedback score (0..1, read as correctness) of answers served by the first rung vs after an escalation, ` +
    `with intervals; Δ is small − escalated.` +
    (noFeedback.length > 0 && rows.length > 0
      ? ` No feedback yet for ${noFeedback.slice(0, 3).join(', ')}${noFeedback.length > 3 ? ` and ${noFeedback.length - 3} more` : ''}.`
      : '') +
    (capped > 0 ? ` ${capped} more task${capped === 1 ? '' : 's'} not drawn (see the table).` : '');
  if (rows.length === 0) {
    const empty =
      report.quality.length === 0
        ? 'no served requests in this window'
        : 'no feedback recorded in this window (send scores with `cascade feedback`)';
    return { name, title, caption, svg: emptyPanel(CHART_WIDTH, 160, empty), empty };
  }

  const W = CHART_WIDTH;
  const M = { left: 200, right: 210, top: 34, bottom: 34 };
  const rowH = 40;
  const H = M.top + rows.length * rowH + M.bottom;
  const x0 = M.left;
  const x1 = W - M.right;
  const lows = rows.flatMap((r) => [r.small.low, r.small.meanScore, r.escalated.low, r.escalated.meanScore]);
  const min = Math.min(...lows.filter((v): v is number => v !== null));
  const lo = Math.max(0, Math.floor((min - 0.05) * 10) / 10);
  const sx = linearScale([lo, 1], [x0, x1]);
  const step = niceStep(lo, 1, 5);
  const yb = M.top + rows.length * rowH;
  const stripes = rows.map((_, i) =>
    i % 2 === 0 ? el('rect', { x: 0, y: M.top + i * rowH, width: W, height: rowH, fill: '#f1f5f9' }) : '',
  );
  const out: string[] = [
    ...stripes,
    legend(
      [
        { label: 'small (first rung)', color: COLORS.small, kind: 'dot' },
        { label: 'escalated', color: COLORS.escalated, kind: 'dot' },
      ],
      x0,
      18,
    ),
    text(x1 + 16, M.top - 8, 'Δ score', { fill: COLORS.muted }),
    text(x1 + 90, M.top - 8, 'verdict', { fill: COLORS.muted }),
    axisBottom(
      linearTicks(sx, (v) => v.toFixed(stepDecimals(step)), 5),
      { y: yb, x0, x1, gridTo: M.top, title: 'mean score' },
    ),
  ];
  rows.forEach((r, i) => {
    const cy = M.top + i * rowH + rowH / 2;
    out.push(
      text(x0 - 12, cy - 2, r.task, { max: 28, anchor: 'end', weight: '600' }),
      text(x0 - 12, cy + 11, r.taskType, { max: 30, anchor: 'end', fill: COLORS.muted }),
    );
    for (const [side, dy, color] of [
      ['small', -7, COLORS.small],
      ['escalated', 7, COLORS.escalated],
    ] as const) {
      const s = r[side];
      if (s.meanScore === null) {
        out.push(
          text(x0 + 6, cy + dy + 4, `${side}: no feedback (${s.requests} requests)`, {
            fill: COLORS.muted,
            size: 10,
          }),
        );
        continue;
      }
      if (s.low !== null && s.high !== null)
        out.push(hwhisker(cy + dy, sx(s.low), sx(s.high), { stroke: color, cap: 3 }));
      out.push(marker(sx(s.meanScore), cy + dy, { fill: color, r: 4, cls: `mark-${side}` }));
    }
    const verdictColor =
      r.verdict === 'ok' ? COLORS.ok : r.verdict === 'insufficient' ? COLORS.muted : COLORS.alert;
    out.push(
      text(x1 + 16, cy + 4, signed(r.delta), { fill: COLORS.ink }),
      text(x1 + 90, cy + 4, VERDICT_TEXT[r.verdict], {
        fill: verdictColor,
        weight: r.verdict === 'ok' ? undefined : '600',
      }),
    );
  });
  return { name, title, caption, svg: svgRoot(W, H, out.join(''), title), empty: null };
}
