/**
 * `cascade calibrate` as a function: read labelled files, fit, snapshot the training rows'
 * request features (what drift_input compares traffic with), stamp, write the artefact and its
 * curve, and describe the result (text for a person, or one JSON document).
 */
import fs from 'node:fs';
import path from 'node:path';
import { decide } from '../../activities/classify';
import { referenceBins } from '../monitors/stats';
import type { ChatMessage } from '../providers/types';
import type { CalibrationArtefact, FeatureSnapshot } from '../router/calibration/artefact';
import { fitCascadeCalibration } from '../router/calibration/fit';
import { stampVersions, writeArtefact } from './artefact-file';
import { renderCurveSvg } from './curve-svg';
import { type PriceBook, readLabelledData } from './labelled-data';

export interface CalibrateOptions {
  train: string[];
  ladder: string[];
  target: number;
  confidence: number;
  out: string;
  prices?: PriceBook;
  seed?: number;
  resamples?: number;
  classifier?: boolean;
  tool?: string;
  /** Timestamp written as `createdAt` (not part of the version). */
  now?: Date;
}

export interface CalibrateOutcome {
  artefact: CalibrationArtefact;
  files: { versioned: string; latest: string; svg: string };
  warnings: string[];
  searchStats: { configsEvaluated: number; boundsComputed: number };
}

export function runCalibration(opts: CalibrateOptions): CalibrateOutcome {
  const data = readLabelledData(opts.train, opts.ladder, opts.prices ?? {});
  const fit = fitCascadeCalibration(data.rows, {
    ladder: opts.ladder,
    target: opts.target,
    confidence: opts.confidence,
    seed: opts.seed,
    resamples: opts.resamples,
    classifier: opts.classifier,
    tool: opts.tool,
    training: { files: data.files.map((f) => ({ name: f.name, rows: f.rows, sha256: f.sha256 })) },
  });
  const artefact = stampVersions({
    ...fit.artefact,
    featureSnapshot: featureSnapshot(data.rows),
    createdAt: (opts.now ?? new Date()).toISOString(),
  });
  const written = writeArtefact(opts.out, artefact);
  const svg = path.join(opts.out, 'curve.svg');
  fs.writeFileSync(svg, renderCurveSvg(artefact));
  fs.copyFileSync(svg, path.join(opts.out, `${artefact.version}.svg`));
  return {
    artefact,
    files: { ...written, svg },
    warnings: data.warnings,
    searchStats: { configsEvaluated: fit.search.configsEvaluated, boundsComputed: fit.search.boundsComputed },
  };
}

/**
 * The `features` the ledger records for a request: the classify activity's decision (its own
 * code, activities/classify.ts, on the rules path: structural features and the rules-v1
 * complexity) with `complexity` added, exactly as src/ledger/outcome.ts writes the row.
 */
export function recordedFeatures(task: string, messages: ChatMessage[]): Record<string, number> {
  const decision = decide({ task, messages });
  return { ...decision.features, complexity: decision.complexity };
}

/**
 * The training rows' recorded features, binned per feature as drift_input's PSI bins a reference
 * (stats.referenceBins): what a task's traffic is compared with. Bins, not values: a few hundred
 * bytes per feature whatever the number of rows.
 */
export function featureSnapshot(rows: readonly { task: string; messages: ChatMessage[] }[]): FeatureSnapshot {
  const values = new Map<string, number[]>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(recordedFeatures(r.task, r.messages))) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const list = values.get(k);
      if (list) list.push(v);
      else values.set(k, [v]);
    }
  }
  const features: FeatureSnapshot['features'] = {};
  for (const name of [...values.keys()].sort()) features[name] = referenceBins(values.get(name)!);
  return { rows: rows.length, features };
}

const pct = (x: number | undefined, d = 1) =>
  x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(d)}%`;

function skipText(s: CalibrationArtefact['rungs'][number]['skip']): string {
  if (!s) return 'never skipped';
  return s.kind === 'always'
    ? 'always skipped'
    : `skipped when the classifier's P(good) < ${s.predicted.toFixed(3)}`;
}

/** The human-readable report: fit, curve (chosen point marked), intervals, recommendation, files. */
export function formatCalibration(o: CalibrateOutcome): string {
  const a = o.artefact;
  const large = a.ladder[a.ladder.length - 1]!;
  const lines: string[] = [];
  lines.push(
    `calibrated ${a.ladder.join(' -> ')} on ${a.training.rows} rows (${a.training.files.map((f) => `${f.name} ${f.rows}`).join(', ')})`,
    `target: ${pct(a.target.relativeQuality)} of ${large}'s accuracy, held with ${pct(a.target.confidence, 0)} confidence (percentile-bootstrap lower bound, ${a.target.resamples} resamples, seed ${a.target.seed})`,
    '',
  );
  a.rungs.forEach((r, i) => {
    if (i === a.rungs.length - 1) {
      lines.push(`rung ${i + 1} ${r.model}: the last rung, its answer stands`);
      return;
    }
    const fit = r.calibrationFit
      ? `${r.confidenceKind} -> ${r.calibrationFit.chosen} map (held-out log loss: isotonic ${r.calibrationFit.heldOutLogLoss.isotonic.toFixed(4)}, platt ${r.calibrationFit.heldOutLogLoss.platt.toFixed(4)})`
      : 'no confidence in the data: stands unless skipped';
    const threshold = r.threshold === null ? '' : `, threshold P(correct) >= ${r.threshold.toFixed(4)}`;
    lines.push(`rung ${i + 1} ${r.model}: ${fit}${threshold}, ${skipText(r.skip)}`);
  });
  if (a.classifier) {
    lines.push(
      `classifier ${a.classifier.version} (logistic, ${1 << a.classifier.hashing.bits} hashed n-gram buckets + ${a.classifier.structural.names.length} structural features):`,
    );
    for (const [m, h] of Object.entries(a.classifier.heads)) {
      lines.push(
        `  ${m}: held-out AUC ${h.report.heldOut.auc?.toFixed(3) ?? '-'}, log loss ${h.report.heldOut.logLoss.toFixed(4)} (base rate ${h.report.heldOut.baseLogLoss.toFixed(4)}), l2 ${h.report.l2}`,
      );
    }
    if (a.classifier.taskType) lines.push(`  task types: ${a.classifier.taskType.labels.join(', ')}`);
  }
  lines.push(
    '',
    `cost/quality curve (relative to ${large} alone; bound = ${pct(a.target.confidence, 0)} lower bound of quality):`,
  );
  const c = a.chosen;
  const same = (p: { relativeCost: number; relativeQuality: number }) =>
    p.relativeCost === c.relativeCost && p.relativeQuality === c.relativeQuality;
  const rows = a.curve.map((p) => ({ ...p, mark: same(p) ? '*' : '' }));
  if (!rows.some((r) => r.mark)) rows.push({ ...c, lowerBound: c.lowerBound ?? NaN, mark: '*' });
  const header = ['', 'rel cost', 'rel quality', 'bound', 'escalated', 'skipped'];
  const body = rows
    .sort((x, y) => x.relativeCost - y.relativeCost || (x.mark ? -1 : 1))
    .map((p) => [
      p.mark,
      pct(p.relativeCost),
      pct(p.relativeQuality),
      pct(p.lowerBound),
      pct(p.escalationRate),
      pct(p.skipRate),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmtRow = (r: string[]) => r.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
  lines.push(fmtRow(header), fmtRow(widths.map((w) => '-'.repeat(w))), ...body.map(fmtRow));
  lines.push(
    '',
    `chosen (*): relative quality ${pct(c.relativeQuality)} (bound ${pct(c.lowerBound)}, interval ${pct(c.intervals.relativeQuality[0])}..${pct(c.intervals.relativeQuality[1])}), ` +
      `cost ${pct(c.relativeCost)} of ${large} alone`,
    `  expected escalation rate ${pct(c.escalationRate)} (interval ${pct(c.intervals.escalationRate[0])}..${pct(c.intervals.escalationRate[1])}), ` +
      `savings ${pct(1 - c.relativeCost)} (interval ${pct(c.intervals.savings[0])}..${pct(c.intervals.savings[1])}), skipped ${pct(c.skipRate)}`,
    `point-estimate baseline: quality ${pct(a.baseline.relativeQuality)} (bound ${pct(a.baseline.lowerBound)}), cost ${pct(a.baseline.relativeCost)}`,
    `single models: ${a.staticOptions.map((s) => `${s.model} quality ${pct(s.relativeQuality)} (bound ${pct(s.lowerBound)}) cost ${pct(s.relativeCost)}`).join('; ')}`,
    '',
    `recommendation: ${a.recommendation.route === 'static' ? `route static with ${a.recommendation.model}` : 'route cascade with this calibration'}: ${a.recommendation.reason}`,
    '',
    `artefact ${a.version}: ${o.files.versioned} (and ${o.files.latest})`,
    `curve: ${o.files.svg}`,
    `use it: in cascade.config.yaml, give the task  calibration: ${o.files.latest}  (a path relative to the config file)`,
  );
  for (const w of o.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

/** The `--json` document. */
export function calibrationJson(o: CalibrateOutcome): unknown {
  const a = o.artefact;
  return {
    version: a.version,
    classifierVersion: a.classifier?.version ?? null,
    files: o.files,
    ladder: a.ladder,
    target: a.target,
    training: a.training,
    rungs: a.rungs.map((r) => ({
      model: r.model,
      confidenceKind: r.confidenceKind,
      map: r.calibrationFit?.chosen ?? null,
      heldOutLogLoss: r.calibrationFit?.heldOutLogLoss ?? null,
      threshold: r.threshold,
      skip: r.skip,
    })),
    chosen: a.chosen,
    baseline: a.baseline,
    staticOptions: a.staticOptions,
    curve: a.curve,
    recommendation: a.recommendation,
    warnings: o.warnings,
    search: o.searchStats,
  };
}
