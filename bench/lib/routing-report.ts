/** bench/routing's text report: what was run, a table per set and method, the summary per kind of set, and the pre-route scores. */
import os from 'node:os';
import { mean } from './stats';
import type { RoutingOptions } from './routing-options';
import type { BenchResult } from './routing-results';
import { fmt, formatTable } from './table';

type Percent = (x: number | undefined) => string;

/** The run's header: when, on what, and how the sets were split. */
function headerLines(o: RoutingOptions, started: number, p: Percent): string[] {
  const { seed0, repeats, share } = o;
  return [
    `bench/routing ${new Date(started).toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s); node ${process.version}, ${os.cpus().length} cores`,
    `target ${p(o.target)}% of the reference's accuracy (the family's largest model), confidence ${p(o.confidence)}%; ` +
      (o.testFiles.length > 0
        ? 'calibrated on --train, replayed on --test'
        : o.population
          ? `each set as the population: calibrated on a sample drawn from it with replacement (${o.populationRows ?? 'its size'}${o.populationRows ? ' rows' : ''}), measured on the whole set, seeds ${seed0}..${seed0 + repeats - 1}`
          : `each set split ${p(share)}% calibration / ${p(1 - share)}% test, seeds ${seed0}..${seed0 + repeats - 1}`) +
      `; ltt fits on ${p(o.fitShare)}% of the calibration part, ladders up to ${o.maxRungs} rungs`,
    'held = splits where the test part kept the target; figures are means over the splits, relative to the reference alone',
    '',
  ];
}

/** A row per set and method. */
function resultsTable(results: BenchResult[], p: Percent): string {
  const header = [
    'set',
    'method',
    'cal/test',
    'held',
    'rel quality %',
    'rel cost %',
    'escalated %',
    'skipped %',
    'chosen (splits)',
  ];
  const rows = results.map((r, k) => [
    k === 0 || results[k - 1]!.set !== r.set ? r.set : '',
    r.method,
    `${r.calibrationRows}/${r.testRows}`,
    `${r.repeats.held}/${r.repeats.splits}`,
    p(r.repeats.meanRelativeQuality),
    p(r.repeats.meanRelativeCost),
    p(r.repeats.meanEscalationRate),
    p(r.repeats.meanSkipRate),
    r.chosen
      ? Object.entries(r.chosen)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([c, n]) => `${shortLadder(c)} (${n})`)
          .join(', ')
      : '',
  ]);
  return formatTable(header, rows, 2);
}

/** RouteLLM's router metrics on the RouteLLM-shaped sets; none elsewhere. */
function routerLines(results: BenchResult[]): string[] {
  const refs = results.filter((r) => r.router);
  if (refs.length === 0) return [];
  return [
    '',
    'pre-route scores on the RouteLLM-shaped sets (test part; mean over splits):',
    formatTable(
      ['set', 'router', 'APGR', 'CPT50', 'CPT80'],
      refs.flatMap((r) =>
        Object.entries(r.router!).map(([name, x], k) => [
          k === 0 ? r.set : '',
          name,
          fmt(x.apgr, 3),
          fmt(x.cpt50, 3),
          fmt(x.cpt80, 3),
        ]),
      ),
      2,
    ),
  ];
}

/** The text report (what stdout gets without --json), `started` the run's start (ms). */
export function formatReport(
  results: BenchResult[],
  o: RoutingOptions,
  warnings: Iterable<string>,
  started: number,
): string {
  const p: Percent = (x) => (x === undefined || !Number.isFinite(x) ? '-' : fmt(x * 100, 1));
  const out = [
    ...headerLines(o, started, p),
    resultsTable(results, p),
    '',
    ...summaryLines(results, p),
    ...routerLines(results),
  ];
  for (const w of warnings) out.push(`warning: ${w}`);
  return out.join('\n') + '\n';
}

/** `llama3.1-8b>llama3.1-405b` -> `3.1-8b>3.1-405b`, for the table. */
function shortLadder(s: string): string {
  return s.replace(/llama|qwen2\.5-|-instruct|-coder|-preview/g, '');
}

/** Per kind of set (confidence thresholds: cascades; pre-route only: RouteLLM), per method: held and mean cost. */
function summaryLines(results: BenchResult[], p: Percent): string[] {
  const methods = [...new Set(results.map((r) => r.method))];
  const groups = [
    { label: 'cascades sets (confidences)', rs: results.filter((r) => !r.preRoute) },
    { label: 'RouteLLM sets (pre-route only)', rs: results.filter((r) => r.preRoute) },
  ].filter((g) => g.rs.length > 0);
  const rows: string[][] = [];
  for (const g of groups) {
    methods.forEach((method, k) => {
      const rs = g.rs.filter((r) => r.method === method);
      if (rs.length === 0) return;
      const held = rs.reduce((s, r) => s + r.repeats.held, 0);
      const total = rs.reduce((s, r) => s + r.repeats.splits, 0);
      rows.push([
        k === 0 ? g.label : '',
        method,
        String(rs.length),
        `${held}/${total}`,
        p(held / total),
        `${rs.filter((r) => r.repeats.held / r.repeats.splits >= 0.95).length}/${rs.length}`,
        p(mean(rs.map((r) => r.repeats.meanRelativeQuality))),
        p(mean(rs.map((r) => r.repeats.meanRelativeCost))),
      ]);
    });
  }
  return [
    'summary: held = splits where the test part kept the target; sets >= 95% = sets held on at least 95% of their splits; mean quality and cost = mean over the sets of the mean over the splits',
    formatTable(
      ['sets', 'method', 'n', 'held', 'held %', 'sets >= 95%', 'mean quality %', 'mean cost %'],
      rows,
      2,
    ),
  ];
}
