/**
 * drift_input: the inputs the router was calibrated on are not the inputs it gets six months
 * later. Per numeric structural feature the classifier recorded (the `features` JSON of routed
 * requests, `complexity` included: the classifier's own output), the population stability index
 * (stats.psi: reference deciles, or per value for features with few values) of this window
 * against two references:
 *
 * - the reference window, over all served requests (feature label `<feature>`);
 * - per task, the calibration snapshot: the same features of the labelled rows the task's
 *   artefact was calibrated on, stored in the artefact as bins (`featureSnapshot`, written by
 *   `cascade calibrate`), against that task's served requests (label `<task>/<feature>`). Tasks
 *   whose artefact has no snapshot (written before it existed) get none.
 *
 * Drifted: both sides have `minRequests` values and PSI > max(config.drift.psi, critical), where
 * critical is the PSI sampling noise alone exceeds with probability 1 - confidence: a fixed 0.25
 * bar fires on noise at a hundred rows, and the noise bar alone flags trivial shifts at a million.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import type { RequestRow } from '../../../request/ledger/types';
import type { CalibrationArtefact } from '../../../request/router/calibration/artefact';
import type { ReferenceBins } from '../../../request/router/calibration/feature-bins';
import { fmt, pct, type WindowView } from '../report-data';
import { psi, psiAgainst, type PsiResult } from '../stats';
import type { Alert, FeatureDrift } from '../types';

const RECOMMENDATION =
  'the traffic no longer looks like what the router was calibrated on: recalibrate on recent labelled traffic (cascade calibrate --train <recent JSONL> ...)';

export interface InputDrift {
  features: FeatureDrift[];
  alerts: Alert[];
  /** Calibration artefact versions whose feature snapshot was compared, in task order. */
  calibrationVersions: string[];
}

export function inputDriftMonitor(
  current: WindowView,
  reference: WindowView | null,
  config: MonitorsConfig,
  calibrations: Record<string, CalibrationArtefact> = {},
): InputDrift {
  const features: FeatureDrift[] = [];
  const alerts: Alert[] = [];
  const calibrationVersions: string[] = [];

  /**
   * One feature of this window against one reference (the reference window, or a task's
   * calibration snapshot): its drift row, and an alert when it drifted, judged and worded the same
   * for both. `shifted` opens the alert's message (what was compared with what); `reference.fields`
   * lead its evidence (which reference it was).
   */
  const compare = (
    label: string,
    p: PsiResult,
    values: number[],
    reference: { n: number; mean: number | null; fields?: Alert['evidence'] },
    shifted: string,
  ): void => {
    const bar = Math.max(config.drift.psi, p.critical);
    const n = values.length;
    const referenceN = reference.n;
    const drifted = n >= config.minRequests && referenceN >= config.minRequests && p.psi > bar;
    features.push({ feature: label, psi: p.psi, critical: p.critical, n, referenceN, drifted });
    if (!drifted) return;
    alerts.push({
      monitor: 'drift_input',
      key: `feature:${label}`,
      severity: 'warning',
      message:
        shifted +
        `(bar ${fmt(config.drift.psi)}; noise alone stays under ${fmt(p.critical)} at ${pct(config.confidence)})`,
      value: p.psi,
      threshold: bar,
      evidence: {
        ...reference.fields,
        psi: p.psi,
        critical: p.critical,
        psiBar: config.drift.psi,
        bins: p.bins,
        binning: p.binning,
        n,
        referenceN,
        currentMean: mean(values),
        referenceMean: reference.mean,
      },
      recommendation: RECOMMENDATION,
    });
  };

  // This window against the reference window, all served requests.
  if (reference) {
    const cur = featureValues(current.served);
    const ref = featureValues(reference.served);
    for (const name of [...new Set([...cur.keys(), ...ref.keys()])].sort()) {
      const c = cur.get(name) ?? [];
      const r = ref.get(name) ?? [];
      if (c.length === 0 || r.length === 0) continue;
      const p = psi(r, c, { confidence: config.confidence });
      compare(
        name,
        p,
        c,
        { n: r.length, mean: mean(r) },
        `input feature ${name} shifted: PSI ${fmt(p.psi)} over ${c.length} requests vs ${r.length} in the reference `,
      );
    }
  }

  // Each task's requests against its calibration snapshot.
  const byTask = new Map<string, RequestRow[]>();
  for (const row of current.served) {
    const list = byTask.get(row.task);
    if (list) list.push(row);
    else byTask.set(row.task, [row]);
  }
  for (const task of [...byTask.keys()].sort()) {
    const artefact = calibrations[task];
    const snapshot = artefact?.featureSnapshot;
    if (!artefact || !snapshot) continue;
    const cur = featureValues(byTask.get(task)!);
    let used = false;
    for (const name of [...cur.keys()].sort()) {
      const bins: ReferenceBins | undefined = snapshot.features[name];
      const c = cur.get(name)!;
      if (!bins || bins.n === 0) continue;
      used = true;
      const p = psiAgainst(bins, c, { confidence: config.confidence });
      compare(
        `${task}/${name}`,
        p,
        c,
        {
          n: bins.n,
          // Exact for value bins; quantile bins keep no values to average.
          mean:
            bins.binning === 'value'
              ? bins.values.reduce((s, v, i) => s + v * bins.counts[i]!, 0) / bins.n
              : null,
          fields: { reference: 'calibration', calibrationVersion: artefact.version, task },
        },
        `input feature ${name} of task ${task} shifted from its calibration ${artefact.version}: PSI ${fmt(p.psi)} over ` +
          `${c.length} requests vs ${bins.n} labelled rows it was calibrated on `,
      );
    }
    if (used && !calibrationVersions.includes(artefact.version)) calibrationVersions.push(artefact.version);
  }
  return { features, alerts, calibrationVersions };
}

function featureValues(rows: RequestRow[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rows) {
    if (!r.features) continue;
    for (const [k, v] of Object.entries(r.features)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const list = out.get(k);
      if (list) list.push(v);
      else out.set(k, [v]);
    }
  }
  return out;
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}
