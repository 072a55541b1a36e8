/**
 * The batch summary: does routing pay, over a set of traces? Pure functions of the traces
 * (Contracts, "Trace"), so a test, the CLI and a report compute the same figures.
 *
 * Definitions:
 * - escalated: requests with at least one escalation; escalationRate = escalated / requests.
 * - escalationsByReason: escalation EVENTS by reason (a request escalating twice counts twice),
 *   every reason of the closed list present, 0 included.
 * - byFinalModel: requests served, by the model whose answer was served (failed ones have none).
 * - costUsd: everything billed by model endpoints (failed attempts and self-checks included).
 * - baselineCostUsd: the same requests on the strongest rung alone ("large-only"); estimated
 *   from token counts where that rung was not called (baselineEstimatedShare says how often).
 * - savingsUsd = baselineCostUsd - costUsd - shadowCostUsd - orchestrationCostUsd: the
 *   orchestrator's own cost (Temporal actions priced by `temporal.costPerAction`) is router cost,
 *   so it is charged against the savings. savingsPct = savingsUsd / baselineCostUsd (null when
 *   the baseline is 0).
 * - shadow children (`<id>:shadow`, given with `opts.shadowChildren`): their model calls are
 *   spent but never served (shadowCostUsd); their attempts count in attempts and retries, their
 *   Temporal actions in orchestration. Without them a batch with shadowed requests under-counts
 *   what it spent.
 * - wastedCostUsd: spent on rungs whose answer was not served (the double cost of fallbacks).
 * - attempts: every model-call attempt; retries: attempts beyond the first of each call.
 */
import { ESCALATION_REASONS, type EscalationReason, type Trace } from '../../request/router/trace';

export interface BatchSummary {
  requests: number;
  answered: number;
  failed: number;
  escalated: number;
  /** escalated / requests; 0 for an empty batch. */
  escalationRate: number;
  escalationsByReason: Record<EscalationReason, number>;
  byFinalModel: Record<string, number>;
  /** Requests per route actually taken (a kill switch or rollout serves `static`). */
  byRoute: Record<string, number>;
  /** Requests served by the baseline that started a shadow child. */
  shadowed: number;
  costUsd: number;
  baselineCostUsd: number;
  /** Shadow children summarised with the batch (0 unless given). */
  shadowRuns: number;
  /** What the shadow children's model calls cost: spent, never served. */
  shadowCostUsd: number;
  /** baselineCostUsd - costUsd - shadowCostUsd - orchestrationCostUsd. */
  savingsUsd: number;
  /** savingsUsd / baselineCostUsd; null when the baseline is 0. */
  savingsPct: number | null;
  wastedCostUsd: number;
  attempts: number;
  retries: number;
  /** Temporal actions of the requests and of their shadow children. */
  orchestrationActions: number;
  orchestrationCostUsd: number;
  /** Share of requests whose baseline cost is an estimate; 0 for an empty batch. */
  baselineEstimatedShare: number;
}

export function summarize(traces: Trace[], opts: { shadowChildren?: Trace[] } = {}): BatchSummary {
  const escalationsByReason = Object.fromEntries(ESCALATION_REASONS.map((r) => [r, 0])) as Record<
    EscalationReason,
    number
  >;
  const byFinalModel: Record<string, number> = {};
  const byRoute: Record<string, number> = {};
  let shadowed = 0;
  let answered = 0;
  let failed = 0;
  let escalated = 0;
  let costUsd = 0;
  let baselineCostUsd = 0;
  let wastedCostUsd = 0;
  let attempts = 0;
  let retries = 0;
  let orchestrationActions = 0;
  let orchestrationCostUsd = 0;
  let baselineEstimated = 0;

  for (const t of traces) {
    byRoute[t.route] = (byRoute[t.route] ?? 0) + 1;
    if (t.shadow?.role === 'parent') shadowed++;
    if (t.status === 'answered') answered++;
    else if (t.status === 'failed') failed++;
    if (t.escalations.length > 0) escalated++;
    for (const e of t.escalations) {
      // A reason outside the closed list would be a contract break upstream; count it anyway.
      escalationsByReason[e.reason] = (escalationsByReason[e.reason] ?? 0) + 1;
    }
    if (t.status === 'answered' && t.final.model !== null) {
      byFinalModel[t.final.model] = (byFinalModel[t.final.model] ?? 0) + 1;
    }
    costUsd += t.totals.costUsd;
    baselineCostUsd += t.totals.baselineCostUsd;
    wastedCostUsd += t.totals.wastedCostUsd;
    attempts += t.totals.attempts;
    for (const c of t.calls) retries += Math.max(0, c.attempts.length - 1);
    orchestrationActions += t.totals.orchestrationActions;
    orchestrationCostUsd += t.totals.orchestrationCostUsd;
    if (t.totals.baselineEstimated) baselineEstimated++;
  }

  const shadowChildren = opts.shadowChildren ?? [];
  let shadowCostUsd = 0;
  for (const t of shadowChildren) {
    shadowCostUsd += t.totals.costUsd;
    attempts += t.totals.attempts;
    for (const c of t.calls) retries += Math.max(0, c.attempts.length - 1);
    orchestrationActions += t.totals.orchestrationActions;
    orchestrationCostUsd += t.totals.orchestrationCostUsd;
  }

  const requests = traces.length;
  const savingsUsd = baselineCostUsd - costUsd - shadowCostUsd - orchestrationCostUsd;
  return {
    requests,
    answered,
    failed,
    escalated,
    escalationRate: requests ? escalated / requests : 0,
    escalationsByReason,
    byFinalModel,
    byRoute,
    shadowed,
    costUsd,
    baselineCostUsd,
    shadowRuns: shadowChildren.length,
    shadowCostUsd,
    savingsUsd,
    savingsPct: baselineCostUsd > 0 ? savingsUsd / baselineCostUsd : null,
    wastedCostUsd,
    attempts,
    retries,
    orchestrationActions,
    orchestrationCostUsd,
    baselineEstimatedShare: requests ? baselineEstimated / requests : 0,
  };
}

/**
 * Dollars with enough significant digits for micro-dollar costs: at least cents, and three
 * significant digits below a dollar (`$0.000123`, `$0.0456`, `$1.50`, `-$0.00321`).
 * Float dust below a nano-dollar prints as `$0`.
 */
export function formatUsd(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs < 1e-9) return '$0';
  const decimals = Math.min(12, Math.max(2, 2 - Math.floor(Math.log10(abs))));
  return `${x < 0 ? '-' : ''}$${abs.toFixed(decimals)}`;
}

/** A share as a percentage with one decimal (`0.385` -> `38.5%`); `n/a` for null. */
export function formatPct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

type Row = [label: string, value: string, note: string] | [heading: string];

/**
 * The summary as a table for a terminal: labels left, figures right-aligned in one column,
 * notes (rates, explanations) after them.
 */
export function formatSummaryTable(s: BatchSummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const of = (x: number) => (s.requests ? formatPct(x / s.requests) : '');
  const rows: Row[] = [
    ['Requests', n(s.requests), ''],
    ['  answered', n(s.answered), of(s.answered)],
    ['  failed', n(s.failed), of(s.failed)],
    ['  escalated', n(s.escalated), `${formatPct(s.escalationRate)} escalation rate`],
    ['Routes'],
    ...Object.entries(s.byRoute)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .map(([route, count]): Row => [`  ${route}`, n(count), of(count)]),
    ...(s.shadowed
      ? [[`  shadowed`, n(s.shadowed), 'served by the baseline, routed path run as a shadow'] as Row]
      : []),
    ['Escalations by reason'],
    ...ESCALATION_REASONS.map((r): Row => [`  ${r}`, n(s.escalationsByReason[r]), '']),
    ['Served by model'],
    ...Object.entries(s.byFinalModel)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .map(([model, count]): Row => [`  ${model}`, n(count), of(count)]),
    ['Cost'],
    ['  routed (model calls)', formatUsd(s.costUsd), ''],
    ...(s.shadowRuns
      ? [
          [
            '  shadow runs (model calls)',
            formatUsd(s.shadowCostUsd),
            `${n(s.shadowRuns)} routed paths run beside the baseline, none served`,
          ] as Row,
        ]
      : []),
    [
      '  orchestration',
      formatUsd(s.orchestrationCostUsd),
      `${n(s.orchestrationActions)} Temporal actions${s.shadowRuns ? ', shadows included' : ''}`,
    ],
    [
      '  large-only baseline',
      formatUsd(s.baselineCostUsd),
      s.baselineEstimatedShare > 0 ? `estimated for ${formatPct(s.baselineEstimatedShare)} of requests` : '',
    ],
    [
      '  savings',
      formatUsd(s.savingsUsd),
      `${formatPct(s.savingsPct)} of baseline (baseline - routed - ${s.shadowRuns ? 'shadow runs - ' : ''}orchestration)`,
    ],
    ['  wasted (unserved rungs)', formatUsd(s.wastedCostUsd), shareOfCost(s.wastedCostUsd, s.costUsd)],
    [
      'Attempts',
      n(s.attempts),
      `${n(s.retries)} ${s.retries === 1 ? 'retry' : 'retries'}${s.shadowRuns ? ', shadows included' : ''}`,
    ],
  ];
  if (Object.keys(s.byFinalModel).length === 0) {
    const i = rows.findIndex((r) => r[0] === 'Served by model');
    rows.splice(i + 1, 0, ['  (none)', '', '']);
  }
  const labelWidth = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.max(...rows.map((r) => (r.length === 3 ? r[1].length : 0)));
  return (
    rows
      .map((r) =>
        r.length === 1
          ? r[0]
          : `${r[0].padEnd(labelWidth)}  ${r[1].padStart(valueWidth)}${r[2] ? `  ${r[2]}` : ''}`.trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** `part` as a share of `whole` for a note ("12.5% of cost"); empty when whole is 0. */
function shareOfCost(part: number, whole: number): string {
  return whole > 0 ? `${formatPct(part / whole)} of routed cost` : '';
}
