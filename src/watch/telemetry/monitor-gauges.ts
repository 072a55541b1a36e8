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
import { MONITOR_GAUGES } from '../monitors/registry';
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
          for (const gauge of gauges) gauge.reset();
          if (e) fill(storedReport(e.report), e.at);
          up.set(1);
        },
        () => {
          // Stale figures are worse than none: clear them, say so, and read again next scrape.
          for (const gauge of gauges) gauge.reset();
          up.set(0);
          refresh = undefined;
        },
      );
      refresh = { at: now, done };
    }
    return refresh.done;
  };

  const g = (name: string, help: string, labelNames: readonly string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], collect: ensureFresh });
  const evaluatedAt = g(
    'cascade_monitor_evaluation_timestamp_seconds',
    'End of the window of the latest monitor evaluation',
  );
  const alert = g(
    'cascade_monitor_alert',
    'An alert firing in the latest evaluation (1), by monitor, key and severity',
    ['monitor', 'key', 'severity'],
  );
  // Each monitor's own gauges, from its folder's parts (src/watch/monitors/registry.ts).
  const perMonitor = MONITOR_GAUGES.map((spec) => ({
    spec,
    gauge: g(spec.name, spec.help, spec.labelNames),
  }));
  const gauges = [evaluatedAt, alert, ...perMonitor.map((m) => m.gauge)];

  const fill = (r: Report, at: number) => {
    evaluatedAt.set(at / 1000);
    for (const a of r.alerts) alert.set({ monitor: a.monitor, key: a.key, severity: a.severity }, 1);
    for (const { spec, gauge } of perMonitor) {
      for (const sample of spec.samples(r)) gauge.set(sample.labels, sample.value);
    }
  };

  const up = new Gauge({
    name: 'cascade_monitor_up',
    help: 'Whether the latest monitor evaluation could be read from the ledger (1) or not (0)',
    registers: [registry],
    collect: ensureFresh,
  });
}
