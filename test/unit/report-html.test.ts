/**
 * The HTML report: one self-contained page (nothing fetched, no scripts), every chart present as
 * inline SVG in its figure, empty charts saying why, and every string from the data escaped.
 */
import { describe, expect, it } from 'vitest';
import { REPORT_CHARTS, renderReportHtml } from '../../src/watch/report/html';
import { buildEmptyReport, buildReport } from '../helpers/report-fixture';

function figures(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<figure data-chart="([^"]+)"[^>]*>[\s\S]*?<\/figure>/g))
    out.set(m[1]!, m[0]);
  return out;
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/<img\b|<iframe\b|<object\b|<embed\b/i);
  expect(html).not.toMatch(/url\(|@import|@font-face/i);
}

/** Dollars as the report prints them: cents from a dollar up, four decimals below. */
const usd = (x: number) => x.toFixed(Math.abs(x) >= 0.995 ? 2 : 4);

describe('renderReportHtml', () => {
  const report = buildReport();
  const html = renderReportHtml(report);

  it('is one self-contained page: no network, no scripts', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html.match(/<html\b/g)).toHaveLength(1);
    expect(html.includes('<meta charset="utf-8">'), String('<meta charset="utf-8">')).toBe(true);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    expectSelfContained(html);
    expect(html).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('shows in the cost layers what part of the model cost is an estimate, and how many calls', () => {
    const money = `$${usd(report.costs.estimated.costUsd)}`;
    expect(html).toContain(
      `<tr class="sub"><th>of which estimated (3 calls whose outcome was lost)</th><td>${money}</td></tr>`,
    );
  });

  it('has a spend section: the periods, by model and by tenant', () => {
    const spend = /<section class="spend">[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
    expect(spend).toContain('<caption>this window, the previous period, and a month at this pace</caption>');
    expect(spend).toContain('<th>llama3.1-405b</th><td>2,400</td>');
    expect(spend).toContain('<th>acme</th><td>6,000</td>');
    expect(spend).toContain('<th>(none)</th><td>1,000</td>');
  });

  it('draws every chart as inline SVG in its figure with a caption', () => {
    const figs = figures(html);
    expect([...figs.keys()]).toEqual([...REPORT_CHARTS]);
    for (const [name, fig] of figs) {
      expect(fig, name).toMatch(/<svg [^>]*viewBox="0 0 \d+ \d+"/);
      expect(fig, name).toMatch(/<figcaption>[^<]+/);
      expect(fig, name).not.toContain('data-empty');
      expect(fig, name).not.toContain('no data:');
    }
    const get = (n: string) => figs.get(n) ?? '';
    expect(get('cost')).toMatch(/class="baseline"/);
    expect(get('cost')).toMatch(/class="actual"/);
    expect(get('cost')).toMatch(/class="router"/);
    expect(get('escalation').match(/class="observed"/g)?.length).toBe(report.escalation.rows.length + 1);
    expect(get('escalation').match(/class="baseline-band"/g)?.length).toBe(
      report.escalation.rows.filter((r) => r.baseline).length,
    );
    expect(get('quality').match(/class="mark-small"/g)?.length).toBe(
      report.quality.filter((q) => q.small.meanScore !== null).length,
    );
    expect(get('quality').match(/class="mark-escalated"/g)?.length).toBe(
      report.quality.filter((q) => q.escalated.meanScore !== null).length,
    );
    expect(get('retries').match(/class="bar-small"/g)?.length).toBe(report.retries.length);
    expect(get('drift-features').match(/class="critical"/g)?.length).toBe(report.drift.features.length);
    expect(get('drift-features').match(/class="bar-drifted"/g)?.length).toBe(2);
    expect(get('drift-outcomes').match(/class="mark-current"/g)?.length).toBeGreaterThan(10);
  });

  it('heads the page with the headline figures and the alerts', () => {
    expect(
      html.includes(`$${usd(report.costs.netSavingsUsd)}`),
      String(`$${usd(report.costs.netSavingsUsd)}`),
    ).toBe(true);
    expect(
      html.includes(report.requests.toLocaleString('en-US')),
      String(report.requests.toLocaleString('en-US')),
    ).toBe(true);
    expect(
      html.includes(`${((report.escalation.overall.rate ?? 0) * 100).toFixed(1)}%`),
      String(`${((report.escalation.overall.rate ?? 0) * 100).toFixed(1)}%`),
    ).toBe(true);
    expect(html.includes('Alerts (4)'), String('Alerts (4)')).toBe(true);
    for (const a of report.alerts) expect(html.includes(a.key), String(a.key)).toBe(true);
    expect(html.includes('2 critical, 2 warning'), String('2 critical, 2 warning')).toBe(true);
    expect(html.includes('class="loss"'), String('class="loss"')).toBe(false);
  });

  it('names the dominant loss when routing lost money', () => {
    const neg = buildReport({ netNegative: true });
    const h = renderReportHtml(neg);
    expect(h.includes('class="card bad"'), 'class="card bad"').toBe(true);
    expect(h).toMatch(
      /<p class="loss">Routing lost money in this window: the dominant loss is self-check calls \(\$[\d,]+\.(?:\d{2}|\d{4})\)\.<\/p>/,
    );
  });

  it('shows "no data: why" in every chart of an empty window, never bare axes', () => {
    const h = renderReportHtml(buildEmptyReport());
    expectSelfContained(h);
    expect(h).not.toMatch(/NaN|undefined|Infinity/);
    const figs = figures(h);
    expect([...figs.keys()]).toEqual([...REPORT_CHARTS]);
    for (const [name, fig] of figs) {
      expect(fig, name).toContain('data-empty="true"');
      expect(fig, name).toMatch(/<figcaption><strong>no data: [^<]+\.<\/strong>/);
      expect(fig, name).toContain('class="empty"');
      expect(fig, name).not.toContain('axis');
    }
    expect(figs.get('drift-features')).toContain(
      'no reference window or calibration snapshot to compare against',
    );
    expect(h.includes('No alerts.'), 'No alerts.').toBe(true);
  });

  it('says there is no feedback when only the quality chart lacks data', () => {
    const r = buildReport();
    for (const q of r.quality) {
      for (const s of [q.small, q.escalated])
        Object.assign(s, { withFeedback: 0, meanScore: null, low: null, high: null });
      q.delta = null;
    }
    const figs = figures(renderReportHtml(r));
    expect(figs.get('quality')).toContain('data-empty="true"');
    expect(figs.get('quality')).toContain('no feedback recorded in this window');
    expect(figs.get('cost')).not.toContain('data-empty');
  });

  it('caps the escalation panels, alerts first, and says how many tasks it left out', () => {
    const r = buildReport();
    const base = r.escalation.rows;
    r.escalation.rows = Array.from({ length: 20 }, (_, i) => ({
      ...base[i % base.length]!,
      task: `task-${i}`,
    }));
    const fig = figures(renderReportHtml(r)).get('escalation') ?? '';
    expect(fig.match(/class="panel"/g)?.length).toBe(9); // all tasks + 8
    expect(fig.includes('12 more tasks not drawn (see the table).')).toBe(true);
    // Alert rows come first (after the overall panel).
    const firstTitles = [...fig.matchAll(/<g class="panel"[^>]*><text[^>]*>([^<]+)<\/text>/g)].map(
      (m) => m[1],
    );
    expect(firstTitles.slice(0, 5)).toEqual([
      'all tasks',
      'task-0 · general',
      'task-6 · general',
      'task-12 · general',
      'task-18 · general',
    ]);
  });

  it('escapes every string that comes from the data', () => {
    const r = buildReport();
    const evil = '<img src=x onerror=alert(1)>"&\'';
    r.escalation.rows[0]!.task = evil;
    r.quality[0]!.task = evil;
    r.quality[1]!.taskType = '</svg><script>alert(2)</script>';
    r.retries[0]!.task = evil;
    r.drift.features[0]!.feature = '<b>feature</b>';
    r.drift.outcomes[0]!.model = '<script>alert(3)</script>';
    r.alerts[0]!.message = 'rate <em>up</em> & "sustained"';
    r.alerts[0]!.key = '<i>qa</i>';
    r.alerts[0]!.recommendation = '<a href="https://evil.example">click</a>';
    const h = renderReportHtml(r, { title: 'report <for> "ops" & co' });
    expectSelfContained(h);
    expect(h.includes('<img'), '<img').toBe(false);
    expect(h.includes('<b>feature'), '<b>feature').toBe(false);
    expect(h.includes('<em>'), '<em>').toBe(false);
    expect(h.includes('<i>qa'), '<i>qa').toBe(false);
    expect(h.includes('<a '), '<a ').toBe(false);
    expect(h.includes('</svg><script>'), '</svg><script>').toBe(false);
    expect(
      h.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;'),
      '&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;',
    ).toBe(true);
    expect(
      h.includes('&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;'),
      '&lt;/svg&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
    ).toBe(true);
    expect(
      h.includes('rate &lt;em&gt;up&lt;/em&gt; &amp; &quot;sustained&quot;'),
      'rate &lt;em&gt;up&lt;/em&gt; &amp; &quot;sustained&quot;',
    ).toBe(true);
    expect(
      h.includes('<title>report &lt;for&gt; &quot;ops&quot; &amp; co'),
      '<title>report &lt;for&gt; &quot;ops&quot; &amp; co',
    ).toBe(true);
    expect(
      h.includes('<h1>report &lt;for&gt; &quot;ops&quot; &amp; co</h1>'),
      '<h1>report &lt;for&gt; &quot;ops&quot; &amp; co</h1>',
    ).toBe(true);
    // Still one figure per chart: nothing from the data closed a tag early.
    expect([...figures(h).keys()]).toEqual([...REPORT_CHARTS]);
    expect(h.match(/<svg\b/g)?.length).toBe(h.match(/<\/svg>/g)?.length);
  });
});
