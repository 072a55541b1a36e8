/**
 * The terminal view of `cascade report`: the figures of a realistic day, in aligned columns;
 * a day that lost money names what lost it; an empty window says so instead of printing zeros.
 */
import { describe, expect, it } from 'vitest';
import { renderReportTable } from '../../src/watch/report/table';
import { money } from '../../src/watch/monitors/draw/format';
import { buildEmptyReport, buildReport } from '../helpers/report-fixture';

/** The lines of one section: from its title to the next blank line. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start, end < 0 ? undefined : end);
}

/** Column (in characters) where `s` starts in `line`. */
const col = (line: string, s: string) => [...line.slice(0, line.indexOf(s))].length;
/** Column where `s` ends in `line`. */
const colEnd = (line: string, s: string) => col(line, s) + [...s].length;

describe('renderReportTable', () => {
  const report = buildReport();
  const text = renderReportTable(report);

  it('has a header with the window, the requests and the reference', () => {
    expect(text.split('\n')[0]).toBe('cascade report  2026-11-27 00:00 → 2026-11-28 00:00 UTC (24h)');
    expect(text).toContain(`requests   ${report.requests.toLocaleString('en-US')} served, 312 shadow`);
    expect(text).toMatch(/reference {2}window 2026-11-20 00:00 → 2026-11-27 00:00 UTC \(7d\)/);
    expect(text).toMatch(/buckets {4}1h/);
  });

  // Dollars as the report prints them: cents from a dollar up, four decimals below, thousands grouped.
  const grouped = (x: number) => {
    const [int, frac] = x.toFixed(Math.abs(x) >= 0.995 ? 2 : 4).split('.');
    return `${int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
  };

  it('prints spend: this window, the previous period and a month at this pace; by model; by tenant', () => {
    const lines = section(text, 'SPEND');
    const s = report.spend!;
    const all = text.split('\n');
    // Rows of the section: the periods, then (after blank lines) the model and tenant tables.
    const spendLines = all.slice(all.indexOf('SPEND'));
    const row = (label: string) =>
      spendLines
        .find((l) => l.trimStart().startsWith(label + ' '))
        ?.trim()
        .split(/\s{2,}/);
    expect(lines[1]).toMatch(/this window\s+previous period\s+a month at this pace/);
    expect(lines).toContain('  previous period: 2026-11-26 00:00 → 2026-11-27 00:00 UTC (24h)');
    expect(row('requests')).toEqual([
      'requests',
      s.current.requests.toLocaleString('en-US'),
      '9,120',
      Math.round(s.monthly.requests).toLocaleString('en-US'),
    ]);
    expect(row('net savings')).toEqual([
      'net savings',
      `$${grouped(s.current.netSavingsUsd)}`,
      '$138.07',
      `$${grouped(s.monthly.netSavingsUsd)}`,
    ]);
    expect(row('llama3.1-405b')).toEqual(['llama3.1-405b', '2,400', `$${grouped(s.byModel[0]!.costUsd)}`]);
    expect(row('acme')?.slice(0, 2)).toEqual(['acme', '6,000']);
    expect(row('(none)')?.slice(0, 2)).toEqual(['(none)', '1,000']);
  });

  it('prints net savings with every cost layer, money as $0.0000 and the router fraction as a percentage', () => {
    const lines = section(text, 'NET SAVINGS');
    const c = report.costs;
    expect(lines[0]).toBe(`NET SAVINGS  $${grouped(c.netSavingsUsd)}`);
    const value = (label: string) =>
      lines
        .find((l) => l.trimStart().startsWith(label))
        ?.trim()
        .split(/\s{2,}/)[1];
    expect(value('baseline')).toBe(`$${grouped(c.baselineCostUsd)}`);
    expect(value('model cost')).toBe(`$${grouped(c.modelCostUsd)}`);
    expect(value('of which wasted')).toBe(`$${grouped(c.wastedCostUsd)}`);
    // The share of the bill that is an estimate (calls whose outcome was lost), with their count.
    expect(value('of which estimated (3 calls whose outcome was lost)')).toBe(
      `$${grouped(c.estimated.costUsd)}`,
    );
    expect(
      value('router  ') ??
        lines
          .find((l) => /^ {2}router\s/.test(l))
          ?.trim()
          .split(/\s{2,}/)[1],
    ).toBe(`$${grouped(c.router.totalUsd)}`);
    expect(value('self-check')).toBe(`$${grouped(c.router.selfCheckUsd)}`);
    expect(value('orchestration')).toBe(`$${grouped(c.router.orchestrationUsd)}`);
    expect(value('decision')).toBe(`$${grouped(c.router.decisionUsd)}`);
    expect(value('user retries')).toBe(`$${grouped(c.retryCostUsd)}`);
    expect(value('gross savings')).toBe(`$${grouped(c.grossSavingsUsd)}`);
    expect(value('router cost / gross savings')).toBe(`${((c.routerCostFraction ?? 0) * 100).toFixed(1)}%`);
    // The values are right-aligned in one column.
    const ends = lines.slice(1).map((l) => [...l].length);
    expect(new Set(ends).size).toBe(1);
    expect(text).not.toContain('NET LOSS');
  });

  it('prints escalation per task with its baseline band and status, in aligned columns', () => {
    const lines = section(text, 'ESCALATION');
    expect(lines[0]).toBe(
      `ESCALATION  overall ${((report.escalation.overall.rate ?? 0) * 100).toFixed(1)}% (${report.escalation.overall.k.toLocaleString('en-US')}/${report.escalation.overall.n.toLocaleString('en-US')})`,
    );
    const [head, ...rows] = lines.slice(1);
    expect(head).toBeDefined();
    expect(rows).toHaveLength(report.escalation.rows.length);
    for (const [i, row] of report.escalation.rows.entries()) {
      const line = rows[i]!;
      expect(col(line, row.task)).toBe(col(head!, 'task'));
      expect(col(line, row.taskType)).toBe(col(head!, 'type'));
      // Numbers are right-aligned under their header.
      const n = row.observed.n.toLocaleString('en-US');
      expect(colEnd(line, ` ${n} `) - 1).toBe(colEnd(head!, ' n ') - 1);
      const status = row.status === 'alert' ? 'ALERT' : row.status;
      expect(col(line, status)).toBe(col(head!, 'status'));
      if (row.baseline) {
        const band = `${(row.baseline.low * 100).toFixed(1)}–${(row.baseline.high * 100).toFixed(1)}%`;
        expect(colEnd(line, band)).toBe(colEnd(head!, 'band'));
        expect(line).toContain(`${row.baseline.source} ${row.baseline.ref}`);
      } else expect(line).toMatch(/n\/a\s+n\/a\s+none/);
    }
    expect(rows.find((l) => l.includes('qa ') && l.includes('general'))).toMatch(/ALERT$/);
  });

  it('prints quality per route, retry amplification, and only the drifted features and models', () => {
    const q = section(text, 'QUALITY PER ROUTE');
    expect(q.find((l) => l.includes(' qa '))).toMatch(
      /0\.710 \[0\.674–0\.746\].*0\.860 \[0\.816–0\.904\]\s+-0\.150\s+85\.5%\s+TOO AGGRESSIVE/,
    );
    expect(q.find((l) => l.includes('classify'))).toMatch(
      /0\/\d+\s+n\/a\s+0\/\d+\s+n\/a\s+n\/a\s+n\/a\s+insufficient/,
    );

    const r = section(text, 'RETRY AMPLIFICATION');
    expect(r.find((l) => l.includes(' qa '))).toMatch(
      /8\.1% \(272\/3,364\)\s+3\.3% \(28\/836\)\s+2\.41x\s+159\s+\$0\.1749/,
    );
    expect(r.find((l) => l.includes('extract'))).toMatch(/0\.0% \(0\/36\)\s+n\/a/);

    const d = section(text, 'DRIFT');
    expect(d).toContain('  input features: 2 drifted, 6 quiet');
    expect(d.some((l) => l.includes('approxTokens') && l.includes('0.412') && l.includes('0.031'))).toBe(
      true,
    );
    expect(d.some((l) => l.includes('turns'))).toBe(true);
    expect(d.some((l) => l.includes('hasCode'))).toBe(false);
    expect(d).toContain('  model outcomes: 1 shifted, 11 quiet');
    expect(d.find((l) => l.includes('llama3.1-8b'))).toMatch(
      /78\.0% → 69\.0%\s+<0\.001\s+17\.0% → 26\.0%\s+0\.002/,
    );
    expect(d.some((l) => l.includes('gpt-4o'))).toBe(false);
  });

  it('lists the alerts, critical first, with their recommendation under the message', () => {
    const a = section(text, 'ALERTS');
    expect(a[0]).toBe('ALERTS  4');
    expect(a[1]).toMatch(/^ {2}CRITICAL {2}escalation_rate {2}qa\/general +qa\/general escalates/);
    expect(a[2]?.trim()).toBe(
      '→ recalibrate: cascade calibrate --train data/qa.jsonl --ladder llama3.1-8b,llama3.1-405b',
    );
    // The recommendation starts where the message does.
    expect(col(a[2]!, '→')).toBe(col(a[1]!, 'qa/general escalates'));
    expect(a.filter((l) => /^ {2}(CRITICAL|WARNING)/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual([
      'CRITICAL',
      'CRITICAL',
      'WARNING',
      'WARNING',
    ]);
  });

  it('uses no colours and prints no NaN/undefined', () => {
    expect(text).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    expect(text).not.toMatch(/NaN|undefined|Infinity|null/);
  });

  it('names the dominant loss when routing lost money', () => {
    const neg = buildReport({ netNegative: true });
    expect(neg.costs.netSavingsUsd).toBeLessThan(0);
    expect(neg.costs.dominantLoss).toBe('self_check');
    const t = renderReportTable(neg);
    expect(t).toContain(`NET SAVINGS  -$${grouped(-neg.costs.netSavingsUsd)}`);
    expect(t).toContain(
      `NET LOSS: routing cost more than the baseline; dominant loss: self-check calls ($${grouped(neg.costs.router.selfCheckUsd)})`,
    );
    const noSavings = buildReport({ netNegative: true });
    noSavings.costs.dominantLoss = 'no_savings';
    expect(renderReportTable(noSavings)).toContain('dominant loss: no price savings to begin with');
  });

  it('says what is missing in an empty window instead of printing zeros', () => {
    const t = renderReportTable(buildEmptyReport());
    expect(t).toContain('requests   0 served, 0 shadow');
    expect(t).toContain('NET SAVINGS  n/a');
    expect(t).toContain('no requests in this window: nothing was routed, nothing saved');
    expect(t).toContain('ESCALATION  overall n/a');
    expect(section(t, 'QUALITY PER ROUTE')[1]).toBe('  no served requests in this window');
    expect(section(t, 'RETRY AMPLIFICATION')[1]).toBe('  no retry links recorded in this window');
    expect(t).toContain('DRIFT  no reference to compare against');
    expect(t).toContain('  input features: 0 drifted, 0 quiet');
    expect(t).toContain('ALERTS  none');
    expect(t).not.toMatch(/NaN|undefined|Infinity|\$0\.0000/);
  });
});

describe('money as a manager reads it', () => {
  it('cents from a dollar up, four decimals below (fractions of a cent), thousands grouped, n/a for no figure', () => {
    expect(money(516)).toBe('$516.00');
    expect(money(1234.567)).toBe('$1,234.57');
    expect(money(0.0123)).toBe('$0.0123');
    expect(money(0.99)).toBe('$0.9900');
    expect(money(0.996)).toBe('$1.00');
    expect(money(-1.2)).toBe('-$1.20');
    expect(money(-0.00001)).toBe('$0.0000');
    expect(money(null)).toBe('n/a');
    expect(money(12.5, 4)).toBe('$12.5000');
  });
});
