/**
 * escalation_rate: is the share of routed requests that escalate stable? A rising rate means the
 * traffic moved away from what the router was calibrated on (more hard requests in the stream,
 * or a model that got less confident), and every escalation pays for two answers.
 *
 * Rows per (task, taskType) of routed, served requests (shadow children, static routes, kill
 * switch and baseline rollouts apart: they cannot escalate). A task with several task types also
 * gets a `(task, '*')` row: a shift of the mix between types (more of the hard type) leaves each
 * type's rate flat and only shows in the task's rate, which is also what a calibration artefact's
 * escalation rate describes.
 *
 * Baseline: the task's calibration artefact (`chosen.escalationRate` and its interval) for the
 * task-level row; else the same (task, taskType) in the reference window (Wilson interval).
 * Alert: observed Wilson low > baseline high + margin (evidence and a material rise), and the
 * bucket rate above baseline high + margin in at least `sustainedShare` of the buckets that have
 * data (sustained, not one burst). Fewer than `minRequests`, or no baseline: `insufficient`.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import type { RequestRow } from '../../../request/ledger/types';
import type { CalibrationArtefact } from '../../../request/router/calibration/artefact';
import {
  bucketIndex,
  groupBy,
  pct,
  recalibrateHint,
  windowLabel,
  type Buckets,
  type WindowView,
} from '../report-data';
import { wilson } from '../stats';
import type { Alert, EscalationRow, Rate } from '../types';

export interface EscalationInput {
  current: WindowView;
  reference: WindowView | null;
  buckets: Buckets;
  config: MonitorsConfig;
  calibrations: Record<string, CalibrationArtefact>;
}

export const ALL_TYPES = '*';

export function escalationMonitor(input: EscalationInput): {
  overall: Rate;
  rows: EscalationRow[];
  alerts: Alert[];
} {
  const { current, config } = input;
  const conf = config.confidence;
  const rows: EscalationRow[] = [];
  const alerts: Alert[] = [];

  for (const [task, taskRows] of groupBy(current.routed, (r) => r.task)) {
    const byType = groupBy(taskRows, (r) => r.taskType);
    const groups: [string, RequestRow[]][] = [...byType];
    // One type: that row is the task's row (the calibration describes it); several: add the task's.
    if (byType.size > 1) groups.unshift([ALL_TYPES, taskRows]);
    const taskLevel = (type: string) => type === ALL_TYPES || byType.size === 1;

    for (const [taskType, list] of groups) {
      const observed = escalationRate(list, conf);
      const baseline = baselineOf(task, taskType, taskLevel(taskType), input);
      const buckets = bucketRates(list, input.buckets, conf);
      const row: EscalationRow = { task, taskType, observed, baseline, buckets, status: 'ok' };
      rows.push(row);
      if (observed.n < config.minRequests || baseline === null) {
        row.status = 'insufficient';
        continue;
      }
      const bar = baseline.high + config.escalation.margin;
      const withData = buckets.filter((b) => b.n > 0);
      const risen = withData.filter((b) => b.rate! > bar).length;
      const share = withData.length ? risen / withData.length : 0;
      if (observed.low! > bar && share >= config.escalation.sustainedShare) {
        row.status = 'alert';
        alerts.push({
          monitor: 'escalation_rate',
          key: `${task}/${taskType}`,
          // Doubled (its lower bound above twice the baseline's upper bound): the bill is moving fast.
          severity: observed.low! > 2 * baseline.high ? 'critical' : 'warning',
          message:
            `${task}/${taskType}: escalation rate ${pct(observed.rate)} (${observed.k}/${observed.n}, ` +
            `${pct(conf)} interval ${pct(observed.low)}-${pct(observed.high)}) above the ${baseline.source} baseline ` +
            `${pct(baseline.rate)} (up to ${pct(baseline.high)}) + margin ${pct(config.escalation.margin)}, ` +
            `in ${risen} of ${withData.length} sub-windows`,
          value: observed.low!,
          threshold: bar,
          evidence: {
            n: observed.n,
            k: observed.k,
            rate: observed.rate,
            low: observed.low,
            high: observed.high,
            baselineRate: baseline.rate,
            baselineLow: baseline.low,
            baselineHigh: baseline.high,
            baselineSource: baseline.source,
            baselineRef: baseline.ref,
            bucketsRisen: risen,
            bucketsWithData: withData.length,
            sustainedShare: share,
          },
          recommendation:
            `check drift_input and drift_outcome for what moved (the mix of requests, or a model's confidence); ` +
            recalibrateHint(task, list),
        });
      }
    }
  }
  return { overall: escalationRate(current.routed, conf), rows, alerts };
}

function escalationRate(rows: RequestRow[], confidence: number): Rate {
  return wilson(rows.filter((r) => r.escalated).length, rows.length, confidence);
}

function bucketRates(rows: RequestRow[], b: Buckets, confidence: number): Rate[] {
  const k = new Array<number>(b.count).fill(0);
  const n = new Array<number>(b.count).fill(0);
  for (const r of rows) {
    const i = bucketIndex(b, r.startedAt);
    n[i]! += 1;
    if (r.escalated) k[i]! += 1;
  }
  return n.map((ni, i) => wilson(k[i]!, ni, confidence));
}

function baselineOf(
  task: string,
  taskType: string,
  taskLevel: boolean,
  input: EscalationInput,
): EscalationRow['baseline'] {
  const cal = input.calibrations[task];
  if (cal && taskLevel) {
    const [low, high] = cal.chosen.intervals.escalationRate;
    return { rate: cal.chosen.escalationRate, low, high, source: 'calibration', ref: cal.version };
  }
  if (!input.reference) return null;
  const ref = input.reference.routed.filter(
    (r) => r.task === task && (taskType === ALL_TYPES || r.taskType === taskType),
  );
  const rate = escalationRate(ref, input.config.confidence);
  if (rate.n === 0) return null;
  return {
    rate: rate.rate!,
    low: rate.low!,
    high: rate.high!,
    source: 'reference',
    ref: windowLabel(input.reference.window),
  };
}
