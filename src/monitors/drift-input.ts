/**
 * drift_input: the inputs the router was calibrated on are not the inputs it gets six months
 * later. Per numeric structural feature the classifier recorded (the `features` JSON of routed
 * requests, `complexity` included: the classifier's own output), the population stability index
 * of this window against the reference window (stats.psi: reference deciles, or per value for
 * features with few values).
 *
 * Drifted: both sides have `minRequests` values and PSI > max(config.drift.psi, critical), where
 * critical is the PSI sampling noise alone exceeds with probability 1 - confidence: a fixed 0.25
 * bar fires on noise at a hundred rows, and the noise bar alone flags trivial shifts at a million.
 */
import type { MonitorsConfig } from '../config/monitors-schema';
import type { RequestRow } from '../ledger/types';
import { fmt, pct, type WindowView } from './report-data';
import { psi } from './stats';
import type { Alert, FeatureDrift } from './types';

export function inputDriftMonitor(
  current: WindowView,
  reference: WindowView | null,
  config: MonitorsConfig,
): { features: FeatureDrift[]; alerts: Alert[] } {
  if (!reference) return { features: [], alerts: [] };
  const cur = featureValues(current.served);
  const ref = featureValues(reference.served);
  const features: FeatureDrift[] = [];
  const alerts: Alert[] = [];
  for (const name of [...new Set([...cur.keys(), ...ref.keys()])].sort()) {
    const c = cur.get(name) ?? [];
    const r = ref.get(name) ?? [];
    if (c.length === 0 || r.length === 0) continue;
    const p = psi(r, c, { confidence: config.confidence });
    const bar = Math.max(config.drift.psi, p.critical);
    const drifted = c.length >= config.minRequests && r.length >= config.minRequests && p.psi > bar;
    features.push({
      feature: name,
      psi: p.psi,
      critical: p.critical,
      n: c.length,
      referenceN: r.length,
      drifted,
    });
    if (!drifted) continue;
    alerts.push({
      monitor: 'drift_input',
      key: `feature:${name}`,
      severity: 'warning',
      message:
        `input feature ${name} shifted: PSI ${fmt(p.psi)} over ${c.length} requests vs ${r.length} in the reference ` +
        `(bar ${fmt(config.drift.psi)}; noise alone stays under ${fmt(p.critical)} at ${pct(config.confidence)})`,
      value: p.psi,
      threshold: bar,
      evidence: {
        psi: p.psi,
        critical: p.critical,
        psiBar: config.drift.psi,
        bins: p.bins,
        binning: p.binning,
        n: c.length,
        referenceN: r.length,
        currentMean: mean(c),
        referenceMean: mean(r),
      },
      recommendation:
        'the traffic no longer looks like what the router was calibrated on: recalibrate on recent labelled traffic (cascade calibrate --train <recent JSONL> ...)',
    });
  }
  return { features, alerts };
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
