/**
 * The report from loaded rows, pure (no database, no clock): what buildReport returns and what
 * the unit tests exercise with synthetic rows. Each monitor is its own file; this puts their rows
 * and alerts into the one Report shape (types.ts).
 */
import { costLayers, costSeries } from './cost-layers/compute';
import { inputDriftMonitor } from './drift-input/compute';
import { outcomeDriftMonitor } from './drift-outcome/compute';
import { escalationMonitor } from './escalation/compute';
import { netSavingsMonitor } from './net-savings/compute';
import { qualityMonitor } from './quality/compute';
import { bucketsOf, viewOf, type ReportData, type ReportOptions } from './report-data';
import { retryMonitor } from './retries/compute';
import { routerCostMonitor } from './router-cost/compute';
import { spendSection } from './spend';
import { REPORT_VERSION, type Report } from './types';

export function computeReport(data: ReportData, opts: ReportOptions): Report {
  const config = opts.config;
  const calibrations = opts.calibrations ?? {};
  const window = data.current.window;
  const current = viewOf(data.current);
  const reference = data.reference ? viewOf(data.reference) : null;
  const buckets = bucketsOf(window, config.buckets);

  const escalation = escalationMonitor({ current, reference, buckets, config, calibrations });
  const quality = qualityMonitor(current, config);
  const retries = retryMonitor(current, data.retries, config);
  const costs = costLayers(current, config.routerCost.cpuHourUsd, {
    retryCostUsd: retries.retryCostUsd,
    extraRetryCostUsd: retries.rows.reduce((s, r) => s + r.extraCostUsd, 0),
  });
  const routingActive = current.routed.length > 0;
  const routerCost = routerCostMonitor(costs, current.served.length, routingActive, config);
  const netSavings = netSavingsMonitor(costs, current.served.length, routingActive, config);
  const inputDrift = inputDriftMonitor(current, reference, config, calibrations);
  const outcomeDrift = outcomeDriftMonitor(current, reference, config);

  const versions = [...new Set(Object.values(calibrations).map((c) => c.version))].sort();
  return {
    reportVersion: REPORT_VERSION,
    generatedAt: opts.now ?? window.to,
    window,
    // A reference window wins (drift and uncalibrated baselines compare against it). Without one,
    // when input drift compared a task with its calibration snapshot, the reference is that
    // artefact: the first one used (tasks in name order), one version as the shape says, rather
    // than the list of every task's artefact (which stays the reference when no snapshot was used:
    // the escalation baselines come from them).
    reference: data.reference
      ? { kind: 'window', window: data.reference.window }
      : inputDrift.calibrationVersions.length
        ? { kind: 'calibration', version: inputDrift.calibrationVersions[0]! }
        : versions.length
          ? { kind: 'calibration', version: versions.join(',') }
          : null,
    bucketMs: buckets.bucketMs,
    requests: current.served.length,
    shadowRequests: current.shadows.length,
    escalation: { overall: escalation.overall, rows: escalation.rows },
    costs,
    spend: spendSection(current, reference),
    quality: quality.rows,
    retries: retries.rows,
    drift: { features: inputDrift.features, outcomes: outcomeDrift.outcomes },
    series: costSeries(current, buckets, config.routerCost.cpuHourUsd),
    alerts: [
      ...escalation.alerts,
      ...quality.alerts,
      ...retries.alerts,
      ...routerCost,
      ...inputDrift.alerts,
      ...outcomeDrift.alerts,
      ...netSavings,
    ],
  };
}
