/**
 * The outcome of a request as the Temporal Web UI shows it ("Current details" of the workflow,
 * set once the outcome is known: src/temporal/workflows/cascade.ts), so an operator sees who answered, why it
 * escalated and what it cost without opening the `trace` query. Markdown, as the UI renders it.
 * Pure and deterministic (workflow code). Never the prompt or the answer: without a codec, the
 * UI shows this to anyone with access to the namespace.
 */
import type { Trace } from './trace';

// The dollar sign escaped: the UI's markdown reads text between two `$` as a formula.
const usd = (x: number) => `\\$${x < 0.01 ? x.toFixed(6) : x.toFixed(4)}`;

export function outcomeDetails(trace: Trace, rungCount: number): string {
  const lines: string[] = [];
  if (trace.status === 'answered' && trace.final.model !== null) {
    const rung = trace.final.rung !== null ? ` (rung ${trace.final.rung + 1} of ${rungCount})` : '';
    lines.push(`**answered by ${trace.final.model}**${rung}`);
  } else {
    lines.push(`**${trace.status}**${trace.error ? `: ${trace.error}` : ''}`);
  }
  if (trace.escalations.length === 0) lines.push('no escalation');
  for (const e of trace.escalations) {
    const check = [...trace.checks].reverse().find((c) => c.model === e.from && !c.passed);
    const why =
      check?.kind === 'confidence' &&
      typeof check.calibrated === 'number' &&
      typeof check.threshold === 'number'
        ? ` (confidence ${check.calibrated.toFixed(2)} < ${check.threshold.toFixed(2)})`
        : '';
    lines.push(`escalated from ${e.from} to ${e.to ?? 'nothing left'}: ${e.reason}${why}`);
  }
  const t = trace.totals;
  const saved =
    t.baselineCostUsd > 0
      ? t.costUsd <= t.baselineCostUsd
        ? ` (${(((t.baselineCostUsd - t.costUsd) / t.baselineCostUsd) * 100).toFixed(1)}% saved)`
        : ` (${(((t.costUsd - t.baselineCostUsd) / t.baselineCostUsd) * 100).toFixed(1)}% more)`
      : '';
  lines.push(
    `cost ${usd(t.costUsd)} vs ${usd(t.baselineCostUsd)} on the strongest rung alone${t.baselineEstimated ? ' (estimated)' : ''}${saved}`,
  );
  const estimated = trace.calls.flatMap((c) => c.attempts).filter((a) => a.estimated).length;
  lines.push(
    `${t.attempts} attempt${t.attempts === 1 ? '' : 's'}${estimated > 0 ? ` (${estimated} priced by estimate)` : ''}, ` +
      `${t.orchestrationActions} Temporal actions (${usd(t.orchestrationCostUsd)})`,
  );
  // A last, empty paragraph (a no-break space): the UI sizes the details frame a line short, which
  // would cut off the line above.
  lines.push('\u00a0');
  return lines.join('\n\n');
}
