/**
 * `cascade report --html`: ONE self-contained page (no network: inline CSS, charts as inline SVG
 * drawn here, no JavaScript) with the headline figures, the alerts, the cost layers and the charts.
 * Every string from the report (task names, models, messages) is escaped.
 */
import type { Alert, Report } from '../monitors/types';
import { type Chart } from '../monitors/draw/chart';
import { MONITOR_CHARTS } from '../monitors/registry';
import {
  count,
  dateTime,
  DOMINANT_LOSS_TEXT,
  dominantLossUsd,
  estimatedCalls,
  duration,
  money,
  pct,
  rateWithCounts,
  referenceText,
  windowText,
} from '../monitors/draw/format';
import { spendTables } from './spend-rows';
import { esc } from '../monitors/draw/svg/escape';

export interface ReportHtmlOptions {
  title?: string;
}

/** The charts of the page, in page order (the monitors' registry; also what the tests expect to find). */
export const REPORT_CHARTS: readonly string[] = MONITOR_CHARTS.map((c) => c.name);

export function reportCharts(report: Report): Chart[] {
  return MONITOR_CHARTS.map((c) => c.draw(report));
}

export function renderReportHtml(report: Report, opts: ReportHtmlOptions = {}): string {
  const title = opts.title ?? 'cascade report';
  const charts = reportCharts(report);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)} · ${esc(windowText(report.window))}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    header(report, title),
    '<div class="row">',
    alerts(report.alerts),
    costLayers(report),
    '</div>',
    spendSection(report),
    ...charts.map(figure),
    footer(report),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function figure(c: Chart): string {
  const empty = c.empty !== null;
  return [
    `<figure data-chart="${esc(c.name)}"${empty ? ' data-empty="true"' : ''} id="chart-${esc(c.name)}">`,
    `<h2>${esc(c.title)}</h2>`,
    c.svg,
    `<figcaption>${empty ? `<strong>no data: ${esc(c.empty ?? '')}.</strong> ` : ''}${esc(c.caption)}</figcaption>`,
    '</figure>',
  ].join('\n');
}

function card(
  label: string,
  value: string,
  note: string,
  tone: 'good' | 'bad' | 'neutral' = 'neutral',
): string {
  return `<div class="card ${tone}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="note">${esc(note)}</div></div>`;
}

function header(r: Report, title: string): string {
  const c = r.costs;
  const noRequests = r.requests === 0;
  const netTone = noRequests ? 'neutral' : c.netSavingsUsd >= 0 ? 'good' : 'bad';
  const loss =
    c.netSavingsUsd < 0 && c.dominantLoss !== null
      ? `<p class="loss">Routing lost money in this window: the dominant loss is ${esc(DOMINANT_LOSS_TEXT[c.dominantLoss])}${
          c.dominantLoss === 'no_savings' ? '' : ` (${esc(money(dominantLossUsd(c)))})`
        }.</p>`
      : '';
  const critical = r.alerts.filter((a) => a.severity === 'critical').length;
  return [
    '<header>',
    `<h1>${esc(title)}</h1>`,
    `<p class="meta">${esc(windowText(r.window))} · buckets of ${esc(duration(r.bucketMs))} · reference: ${esc(
      referenceText(r.reference),
    )} · generated ${esc(dateTime(r.generatedAt))} UTC</p>`,
    '<div class="cards">',
    card(
      'net savings',
      noRequests ? 'n/a' : money(c.netSavingsUsd),
      noRequests
        ? 'no requests in this window'
        : `gross ${money(c.grossSavingsUsd)} vs baseline ${money(c.baselineCostUsd)}`,
      netTone,
    ),
    card('requests', count(r.requests), `${count(r.shadowRequests)} shadow requests apart`),
    card(
      'escalated',
      pct(r.escalation.overall.rate),
      r.escalation.overall.n === 0 ? 'no served requests' : rateWithCounts(r.escalation.overall),
    ),
    card(
      'router cost',
      pct(c.routerCostFraction),
      c.routerCostFraction === null
        ? `${money(c.router.totalUsd)}; no gross savings to divide by`
        : `${money(c.router.totalUsd)} of gross savings`,
      c.routerCostFraction !== null && c.routerCostFraction > 0.5 ? 'bad' : 'neutral',
    ),
    card(
      'alerts',
      String(r.alerts.length),
      r.alerts.length === 0
        ? 'nothing crossed a threshold'
        : `${critical} critical, ${r.alerts.length - critical} warning`,
      critical > 0 ? 'bad' : r.alerts.length > 0 ? 'neutral' : 'good',
    ),
    '</div>',
    loss,
    '</header>',
  ].join('\n');
}

function alerts(list: Alert[]): string {
  if (list.length === 0)
    return '<section class="alerts"><h2>Alerts</h2><p class="quiet">No alerts.</p></section>';
  const sorted = [...list].sort(
    (a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical'),
  );
  const items = sorted.map(
    (a) =>
      `<li class="${a.severity}"><span class="sev">${esc(a.severity)}</span> <code>${esc(a.monitor)}</code> <code>${esc(
        a.key,
      )}</code><div>${esc(a.message)}</div>${
        a.recommendation ? `<div class="rec">→ ${esc(a.recommendation)}</div>` : ''
      }</li>`,
  );
  return `<section class="alerts"><h2>Alerts (${list.length})</h2><ul>${items.join('')}</ul></section>`;
}

function costLayers(r: Report): string {
  const c = r.costs;
  if (r.requests === 0)
    return '<section class="layers"><h2>Cost layers</h2><p class="quiet">No requests in this window: nothing was routed, nothing saved.</p></section>';
  const rows: [string, string, string?][] = [
    ['baseline (static models alone)', money(c.baselineCostUsd)],
    ['model cost (every call billed)', money(c.modelCostUsd)],
    ['of which wasted (answers thrown away)', money(c.wastedCostUsd), 'sub'],
    [`of which estimated (${estimatedCalls(c)})`, money(c.estimated?.costUsd ?? 0), 'sub'],
    ['router: self-checks', money(c.router.selfCheckUsd), 'sub'],
    ['router: orchestration', money(c.router.orchestrationUsd), 'sub'],
    ['router: decision', money(c.router.decisionUsd), 'sub'],
    ['router total', money(c.router.totalUsd)],
    ['user retries', money(c.retryCostUsd)],
    ['gross savings', money(c.grossSavingsUsd)],
    ['net savings', money(c.netSavingsUsd), c.netSavingsUsd < 0 ? 'total bad' : 'total'],
  ];
  return [
    '<section class="layers"><h2>Cost layers</h2><table>',
    ...rows.map(
      ([k, v, cls]) => `<tr${cls ? ` class="${cls}"` : ''}><th>${esc(k)}</th><td>${esc(v)}</td></tr>`,
    ),
    `<tr><th>router cost / gross savings</th><td>${esc(pct(c.routerCostFraction))}</td></tr>`,
    '</table></section>',
  ].join('\n');
}

function spendSection(r: Report): string {
  if (!r.spend) return '';
  const t = spendTables(r.spend);
  const table = (caption: string, x: { headers: string[]; rows: string[][] }) =>
    [
      `<table class="spend"><caption>${esc(caption)}</caption>`,
      `<tr>${x.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`,
      ...x.rows.map(
        (row) =>
          `<tr>${row.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`,
      ),
      '</table>',
    ].join('\n');
  return [
    '<section class="spend"><h2>Spend</h2>',
    table('this window, the previous period, and a month at this pace', t.periods),
    `<p class="quiet">${esc(t.previousNote)}</p>`,
    table('by model (every call billed)', t.byModel),
    table('by tenant', t.byTenant),
    '</section>',
  ].join('\n');
}

function footer(r: Report): string {
  return `<footer>report version ${r.reportVersion} · ${esc(count(r.requests))} requests · rendered without scripts or network; every chart is inline SVG.</footer>`;
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f1f5f9; color: #1f2933; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1020px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.meta { color: #616e7c; margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; }
.card { background: #fff; border-radius: 8px; padding: 12px 14px; border-top: 4px solid #cbd2d9; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.card.good { border-top-color: #16a34a; } .card.bad { border-top-color: #dc2626; }
.card .label { color: #616e7c; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card.good .value { color: #15803d; } .card.bad .value { color: #b91c1c; }
.card .note { color: #616e7c; font-size: 12px; }
.loss { background: #fef2f2; border: 1px solid #fecaca; color: #991b1b; border-radius: 8px; padding: 10px 14px; margin: 14px 0 0; }
section, figure { background: #fff; border-radius: 8px; padding: 16px 18px; margin: 18px 0 0; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
.alerts ul { list-style: none; margin: 0; padding: 0; }
.alerts li { border-left: 4px solid #d97706; padding: 6px 10px; margin: 0 0 8px; background: #fffbeb; border-radius: 0 6px 6px 0; }
.alerts li.critical { border-left-color: #dc2626; background: #fef2f2; }
.alerts .sev { font-weight: 700; text-transform: uppercase; font-size: 11px; letter-spacing: .05em; }
.alerts .rec { color: #52606d; font-size: 13px; }
.quiet { color: #616e7c; margin: 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f1f5f9; padding: 1px 4px; border-radius: 4px; }
.layers table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.layers th { text-align: left; font-weight: 400; padding: 3px 24px 3px 0; color: #323f4b; }
.layers td { text-align: right; padding: 3px 0; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.layers tr.sub th { padding-left: 18px; color: #616e7c; }
.layers tr.total th, .layers tr.total td { font-weight: 700; border-top: 1px solid #cbd2d9; }
table.spend { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 8px 0 12px; }
table.spend caption { text-align: left; color: #616e7c; padding-bottom: 4px; }
table.spend th { text-align: left; font-weight: 400; padding: 3px 24px 3px 0; color: #323f4b; }
table.spend td { text-align: right; padding: 3px 0 3px 24px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.layers tr.bad td { color: #b91c1c; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: 18px; align-items: start; margin-top: 18px; }
.row > section { margin: 0; }
@media (max-width: 760px) { .row { grid-template-columns: 1fr; } }
figure { margin-left: 0; margin-right: 0; }
figure svg { display: block; width: 100%; height: auto; max-width: 100%; }
figcaption { color: #52606d; font-size: 13px; margin-top: 8px; }
figure[data-empty="true"] figcaption strong { color: #7b8794; }
footer { color: #7b8794; font-size: 12px; margin-top: 24px; text-align: center; }
`;
