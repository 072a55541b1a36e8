/**
 * The monitors' Prometheus gauges (`cascade_monitor_*`), read at scrape time from the latest
 * stored evaluation in the ledger. Every worker serves the same figures, whichever of them ran
 * the evaluation, so Prometheus can scrape all workers and alert on any (deploy/prometheus/
 * cascade-alerts.yml has the rules, the same conditions the monitors evaluate).
 *
 * Each gauge publishes both the statistic and the line it is judged against (the escalation
 * rate's lower bound and the baseline's upper bound, a feature's PSI and its critical value), so
 * an alert rule is a plain comparison and a dashboard can draw both.
 *
 * Labels come from the config (task ids, model ids), closed lists (monitors) and feature names;
 * an alert's key is bounded by those too.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StoredEvaluation } from '../../request/ledger/evaluations';
import { type Report, storedReport } from '../monitors/types';

export interface MonitorGaugesOptions {
  /** The latest stored evaluation, or null before the first. */
  latest: () => Promise<StoredEvaluation | null>;
  /** Scrapes within this many ms reuse the last read (default 10 s): one ledger read per scrape burst. */
  cacheMs?: number;
}

export function registerMonitorGauges(registry: Registry, opts: MonitorGaugesOptions): void {
  const cacheMs = opts.cacheMs ?? 10_000;
  // prom-client collects all metrics of a scrape concurrently: every gauge's collect awaits the
  // same refresh, which resets and refills them all from one ledger read before any is serialised.
  let refresh: { at: number; done: Promise<void> } | undefined;
  const ensureFresh = (): Promise<void> => {
    const now = Date.now();
    if (!refresh || now - refresh.at > cacheMs) {
      const done = opts.latest().then(
        (e) => {
          for (const gauge of Object.values(gauges)) gauge.reset();
          if (e) fill(storedReport(e.report), e.at);
          up.set(1);
        },
        () => {
          // Stale figures are worse than none: clear them, say so, and read again next scrape.
          for (const gauge of Object.values(gauges)) gauge.reset();
          up.set(0);
          refresh = undefined;
        },
      );
      refresh = { at: now, done };
    }
    return refresh.done;
  };

  const g = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry], collect: ensureFresh });
  const gauges = {
    evaluatedAt: g(
      'cascade_monitor_evaluation_timestamp_seconds',
      'End of the window of the latest monitor evaluation',
    ),
    alert: g(
      'cascade_monitor_alert',
      'An alert firing in the latest evaluation (1), by monitor, key and severity',
      ['monitor', 'key', 'severity'] as const,
    ),
    escalationRate: g('cascade_monitor_escalation_rate', 'Escalation rate of served requests in the window', [
      'task',
      'task_type',
    ] as const),
    escalationLow: g('cascade_monitor_escalation_rate_low', 'Lower bound of the escalation rate (Wilson)', [
      'task',
      'task_type',
    ] as const),
    baselineHigh: g(
      'cascade_monitor_escalation_baseline_high',
      'Upper bound of the expected escalation rate (calibration or reference window)',
      ['task', 'task_type'] as const,
    ),
    qualityDelta: g(
      'cascade_monitor_quality_delta',
      'Mean feedback score of small-served minus escalated requests',
      ['task', 'task_type'] as const,
    ),
    retryAmplification: g(
      'cascade_monitor_retry_amplification',
      'User-retry rate of small-served over large-served requests',
      ['task'] as const,
    ),
    routerCostFraction: g(
      'cascade_monitor_router_cost_fraction',
      'Router cost as a fraction of gross savings',
    ),
    usd: g('cascade_monitor_usd', 'Cost layers and savings over the window, USD', ['layer'] as const),
    featurePsi: g('cascade_monitor_feature_psi', 'Population stability index of a feature vs the reference', [
      'feature',
    ] as const),
    featureCritical: g(
      'cascade_monitor_feature_psi_critical',
      'PSI above which a feature has drifted (the larger of the configured bar and sampling noise)',
      ['feature'] as const,
    ),
    accuracy: g('cascade_monitor_outcome_accuracy', 'Accuracy from feedback per task and model', [
      'task',
      'model',
      'period',
    ] as const),
    outcomeDrifted: g('cascade_monitor_outcome_drifted', 'Outcome drift per task and model (1 = drifted)', [
      'task',
      'model',
    ] as const),
  };

  const fill = (r: Report, evaluatedAt: number) => {
    gauges.evaluatedAt.set(evaluatedAt / 1000);
    for (const a of r.alerts) gauges.alert.set({ monitor: a.monitor, key: a.key, severity: a.severity }, 1);
    for (const e of r.escalation.rows) {
      const l = { task: e.task, task_type: e.taskType };
      if (e.observed.rate !== null) gauges.escalationRate.set(l, e.observed.rate);
      if (e.observed.low !== null) gauges.escalationLow.set(l, e.observed.low);
      if (e.baseline) gauges.baselineHigh.set(l, e.baseline.high);
    }
    for (const q of r.quality) {
      if (q.delta !== null) gauges.qualityDelta.set({ task: q.task, task_type: q.taskType }, q.delta);
    }
    for (const t of r.retries) {
      if (t.amplification !== null) gauges.retryAmplification.set({ task: t.task }, t.amplification);
    }
    const c = r.costs;
    if (c.routerCostFraction !== null) gauges.routerCostFraction.set(c.routerCostFraction);
    const layers: Record<string, number> = {
      baseline: c.baselineCostUsd,
      model: c.modelCostUsd,
      wasted: c.wastedCostUsd,
      self_check: c.router.selfCheckUsd,
      orchestration: c.router.orchestrationUsd,
      decision: c.router.decisionUsd,
      router: c.router.totalUsd,
      retries: c.retryCostUsd,
      gross_savings: c.grossSavingsUsd,
      net_savings: c.netSavingsUsd,
    };
    for (const [layer, v] of Object.entries(layers)) gauges.usd.set({ layer }, v);
    for (const f of r.drift.features) {
      gauges.featurePsi.set({ feature: f.feature }, f.psi);
      gauges.featureCritical.set({ feature: f.feature }, f.critical);
    }
    for (const o of r.drift.outcomes) {
      gauges.outcomeDrifted.set({ task: o.task, model: o.model }, o.drifted ? 1 : 0);
      const acc = o.accuracy;
      if (acc?.current.rate != null)
        gauges.accuracy.set({ task: o.task, model: o.model, period: 'current' }, acc.current.rate);
      if (acc?.reference.rate != null) {
        gauges.accuracy.set({ task: o.task, model: o.model, period: 'reference' }, acc.reference.rate);
      }
    }
  };

  const up = new Gauge({
    name: 'cascade_monitor_up',
    help: 'Whether the latest monitor evaluation could be read from the ledger (1) or not (0)',
    registers: [registry],
    collect: ensureFresh,
  });
}
