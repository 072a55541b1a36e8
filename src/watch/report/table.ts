/**
 * `cascade report` in the terminal: the header, net savings and its cost layers, escalation per
 * task against its baseline, quality per route, retry amplification, drift (only what drifted,
 * plus a count of the quiet ones) and the alerts. Aligned columns, no colours.
 */
import type { Report } from '../monitors/types';
import {
  count,
  DOMINANT_LOSS_TEXT,
  dominantLossUsd,
  estimatedCalls,
  duration,
  interval,
  money,
  NA,
  pct,
  rateWithCounts,
  referenceText,
  score,
  signed,
  windowText,
  dateTime,
} from '../monitors/draw/format';
import { spendTables } from './spend-rows';
import { columns, pairs } from './text-table';

const SPARK = '▁▂▃▄▅▆▇█';

export function renderReportTable(report: Report): string {
  const out: string[] = [];
  out.push(...header(report), '', ...savings(report), '', ...spend(report), '', ...escalation(report));
  out.push('', ...quality(report));
  out.push('', ...retries(report), '', ...drift(report), '', ...alerts(report));
  return `${out.join('\n')}\n`;
}

function header(r: Report): string[] {
  return [
    `cascade report  ${windowText(r.window)}`,
    ...pairs(
      [
        ['requests', `${count(r.requests)} served, ${count(r.shadowRequests)} shadow`],
        ['escalated', r.requests === 0 ? NA : rateWithCounts(r.escalation.overall)],
        ['reference', referenceText(r.reference)],
        ['buckets', duration(r.bucketMs)],
        ['generated', `${dateTime(r.generatedAt)} UTC`],
      ],
      '  ',
      'left',
    ),
  ];
}

function savings(r: Report): string[] {
  const c = r.costs;
  const title = `NET SAVINGS  ${r.requests === 0 ? NA : money(c.netSavingsUsd)}`;
  if (r.requests === 0) return [title, '  no requests in this window: nothing was routed, nothing saved'];
  const lines = [
    title,
    ...pairs([
      ['baseline (static models alone)', money(c.baselineCostUsd)],
      ['model cost (every call billed)', money(c.modelCostUsd)],
      ['  of which wasted (thrown away)', money(c.wastedCostUsd)],
      [`  of which estimated (${estimatedCalls(c)})`, money(c.estimated?.costUsd ?? 0)],
      ['router', money(c.router.totalUsd)],
      ['  self-check', money(c.router.selfCheckUsd)],
      ['  orchestration', money(c.router.orchestrationUsd)],
      ['  decision', money(c.router.decisionUsd)],
      ['user retries', money(c.retryCostUsd)],
      ['gross savings', money(c.grossSavingsUsd)],
      ['net savings', money(c.netSavingsUsd)],
      ['router cost / gross savings', pct(c.routerCostFraction)],
    ]),
  ];
  if (c.netSavingsUsd < 0) {
    const what = c.dominantLoss === null ? 'not identified' : DOMINANT_LOSS_TEXT[c.dominantLoss];
    const usd =
      c.dominantLoss === null || c.dominantLoss === 'no_savings' ? '' : ` (${money(dominantLossUsd(c))})`;
    lines.push(`  NET LOSS: routing cost more than the baseline; dominant loss: ${what}${usd}`);
  }
  return lines;
}

function spend(r: Report): string[] {
  if (!r.spend) return [];
  const t = spendTables(r.spend);
  const table = (x: { headers: string[]; rows: string[][] }, firstLeft = true) =>
    columns(
      x.headers.map((header, i) => ({ header, align: i === 0 && firstLeft ? 'left' : 'right' })),
      x.rows,
    );
  return [
    'SPEND',
    ...table(t.periods),
    `  ${t.previousNote}`,
    '',
    '  by model',
    ...(t.byModel.rows.length ? table(t.byModel) : ['  no model calls in this window']),
    '',
    '  by tenant',
    ...(t.byTenant.rows.length ? table(t.byTenant) : ['  no requests in this window']),
  ];
}

function spark(rates: (number | null)[]): string {
  const known = rates.filter((x): x is number => x !== null);
  if (known.length === 0) return '';
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  return rates
    .map((x) => {
      if (x === null) return ' ';
      const i = hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (SPARK.length - 1));
      return SPARK[i] ?? ' ';
    })
    .join('');
}

function escalation(r: Report): string[] {
  const o = r.escalation.overall;
  const title = `ESCALATION  overall ${o.n === 0 ? NA : `${pct(o.rate)} (${count(o.k)}/${count(o.n)})`}`;
  if (r.escalation.rows.length === 0) return [title, '  no served requests in this window'];
  const rows = r.escalation.rows.map((e) => [
    e.task,
    e.taskType,
    count(e.observed.n),
    pct(e.observed.rate),
    interval(e.observed.low, e.observed.high),
    e.baseline ? pct(e.baseline.rate) : NA,
    e.baseline ? interval(e.baseline.low, e.baseline.high) : NA,
    e.baseline ? `${e.baseline.source} ${e.baseline.ref}` : 'none',
    spark(e.buckets.map((b) => b.rate)),
    e.status === 'alert' ? 'ALERT' : e.status,
  ]);
  return [
    title,
    ...columns(
      [
        { header: 'task' },
        { header: 'type' },
        { header: 'n', align: 'right' },
        { header: 'rate', align: 'right' },
        { header: 'interval', align: 'right' },
        { header: 'baseline', align: 'right' },
        { header: 'band', align: 'right' },
        { header: 'from' },
        { header: 'trend' },
        { header: 'status' },
      ],
      rows,
    ),
  ];
}

const VERDICT: Record<Report['quality'][number]['verdict'], string> = {
  ok: 'ok',
  too_aggressive: 'TOO AGGRESSIVE',
  too_conservative: 'TOO CONSERVATIVE',
  insufficient: 'insufficient',
};

function quality(r: Report): string[] {
  const title = 'QUALITY PER ROUTE  (mean feedback score, small = first rung)';
  if (r.quality.length === 0) return [title, '  no served requests in this window'];
  const side = (s: Report['quality'][number]['small']) => [
    `${count(s.withFeedback)}/${count(s.requests)}`,
    s.meanScore === null ? NA : `${score(s.meanScore)} [${score(s.low)}–${score(s.high)}]`,
  ];
  const rows = r.quality.map((q) => [
    q.task,
    q.taskType,
    ...side(q.small),
    ...side(q.escalated),
    signed(q.delta),
    q.shadowAgreement ? pct(q.shadowAgreement.rate) : NA,
    VERDICT[q.verdict],
  ]);
  const lines = [
    title,
    ...columns(
      [
        { header: 'task' },
        { header: 'type' },
        { header: 'small fb/n', align: 'right' },
        { header: 'small score', align: 'right' },
        { header: 'escalated fb/n', align: 'right' },
        { header: 'escalated score', align: 'right' },
        { header: 'delta', align: 'right' },
        { header: 'shadow agree', align: 'right' },
        { header: 'verdict' },
      ],
      rows,
    ),
  ];
  if (r.quality.every((q) => q.small.meanScore === null && q.escalated.meanScore === null))
    lines.push('  no feedback recorded in this window (send scores with `cascade feedback`)');
  return lines;
}

function retries(r: Report): string[] {
  const title = 'RETRY AMPLIFICATION  (share of answers the user retried)';
  if (r.retries.length === 0) return [title, '  no retry links recorded in this window'];
  const rows = r.retries.map((t) => [
    t.task,
    rateWithCounts(t.small),
    rateWithCounts(t.large),
    t.amplification === null ? NA : `${t.amplification.toFixed(2)}x`,
    count(t.extraRequests),
    money(t.extraCostUsd),
  ]);
  return [
    title,
    ...columns(
      [
        { header: 'task' },
        { header: 'small retried', align: 'right' },
        { header: 'large retried', align: 'right' },
        { header: 'amplification', align: 'right' },
        { header: 'extra requests', align: 'right' },
        { header: 'extra cost', align: 'right' },
      ],
      rows,
    ),
  ];
}

function drift(r: Report): string[] {
  const out = [
    r.reference === null
      ? 'DRIFT  no reference to compare against'
      : `DRIFT  against ${referenceText(r.reference)}`,
  ];
  const f = r.drift.features;
  const fd = f.filter((x) => x.drifted);
  out.push(`  input features: ${fd.length} drifted, ${f.length - fd.length} quiet`);
  if (fd.length > 0)
    out.push(
      ...columns(
        [
          { header: 'feature' },
          { header: 'psi', align: 'right' },
          { header: 'critical', align: 'right' },
          { header: 'n', align: 'right' },
          { header: 'reference n', align: 'right' },
        ],
        [...fd]
          .sort((a, b) => b.psi - a.psi)
          .map((x) => [x.feature, x.psi.toFixed(3), x.critical.toFixed(3), count(x.n), count(x.referenceN)]),
        '    ',
      ),
    );
  const o = r.drift.outcomes;
  const od = o.filter((x) => x.drifted);
  out.push(`  model outcomes: ${od.length} shifted, ${o.length - od.length} quiet`);
  const shift = (cur: number | null, ref: number | null) => `${pct(ref)} → ${pct(cur)}`;
  const p = (v: number | null) => (v === null ? NA : v < 0.001 ? '<0.001' : v.toFixed(3));
  if (od.length > 0)
    out.push(
      ...columns(
        [
          { header: 'task' },
          { header: 'model' },
          { header: 'accuracy ref → now', align: 'right' },
          { header: 'p', align: 'right' },
          { header: 'escalation ref → now', align: 'right' },
          { header: 'p', align: 'right' },
          { header: 'confidence psi/crit', align: 'right' },
          { header: 'tokens out ref → now', align: 'right' },
        ],
        od.map((x) => [
          x.task,
          x.model,
          x.accuracy ? shift(x.accuracy.current.rate, x.accuracy.reference.rate) : NA,
          x.accuracy ? p(x.accuracy.pValue) : NA,
          shift(x.escalation.current.rate, x.escalation.reference.rate),
          p(x.escalation.pValue),
          x.confidence ? `${x.confidence.psi.toFixed(3)}/${x.confidence.critical.toFixed(3)}` : NA,
          `${tokens(x.tokensOut.reference)} → ${tokens(x.tokensOut.current)}`,
        ]),
        '    ',
      ),
    );
  return out;
}

function tokens(x: number | null): string {
  return x === null ? NA : String(Math.round(x));
}

function alerts(r: Report): string[] {
  if (r.alerts.length === 0) return ['ALERTS  none'];
  const sorted = [...r.alerts].sort(
    (a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical'),
  );
  const out = [`ALERTS  ${r.alerts.length}`];
  const sevW = Math.max(...sorted.map((a) => a.severity.length));
  const monW = Math.max(...sorted.map((a) => a.monitor.length));
  const keyW = Math.max(...sorted.map((a) => [...a.key].length));
  for (const a of sorted) {
    const head = `  ${a.severity.toUpperCase().padEnd(sevW)}  ${a.monitor.padEnd(monW)}  ${a.key.padEnd(keyW)}  `;
    out.push(`${head}${a.message}`.trimEnd());
    if (a.recommendation) out.push(`${' '.repeat(head.length)}→ ${a.recommendation}`);
  }
  return out;
}
