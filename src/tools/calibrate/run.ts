/**
 * `cascade calibrate` as a function: read labelled files, fit and test (src/tools/calibrate/
 * fit.ts: the learn-then-test guarantee), snapshot the training rows' request features (what
 * drift_input compares traffic with), stamp, write the artefact and its curve, and describe the
 * result (text for a person, or one JSON document).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../request/providers/types';
import type { CalibrationArtefactV2, FeatureSnapshot } from '../../request/router/calibration/artefact';
import { referenceBins } from '../../request/router/calibration/feature-bins';
import { fitCascadeCalibration, type FitOptions } from './fit';
import { decide } from '../../request/router/decide';
import { stampVersions, writeArtefact } from '../../request/config-file/artefact-file';
import { renderCurveSvg } from './curve-svg';
import { type PriceBook, readLabelledData } from './labelled-data';

/**
 * The fit's options, passed through to it (fit.ts says what each means and its default), and the
 * files read and written around it.
 */
export interface CalibrateOptions extends Pick<
  FitOptions,
  | 'ladder'
  | 'candidates'
  | 'maxRungs'
  | 'target'
  | 'confidence'
  | 'fitShare'
  | 'seed'
  | 'resamples'
  | 'classifier'
  | 'tool'
> {
  /** The labelled files to read. */
  train: string[];
  /** The folder the artefact and its curve are written to. */
  out: string;
  prices?: PriceBook;
  /** Timestamp written as `createdAt` (not part of the version). */
  now?: Date;
}

export interface CalibrateOutcome {
  artefact: CalibrationArtefactV2;
  files: { versioned: string; latest: string; svg: string };
  warnings: string[];
}

export function runCalibration(opts: CalibrateOptions): CalibrateOutcome {
  const models = opts.ladder ?? opts.candidates ?? [];
  const data = readLabelledData(
    opts.train,
    models,
    opts.prices ?? {},
    opts.ladder ? '--ladder' : '--candidates',
  );
  const fit = fitCascadeCalibration(data.rows, {
    ...(opts.ladder ? { ladder: opts.ladder } : { candidates: opts.candidates! }),
    maxRungs: opts.maxRungs,
    target: opts.target,
    confidence: opts.confidence,
    fitShare: opts.fitShare,
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
  return { artefact, files: { ...written, svg }, warnings: data.warnings };
}

/**
 * The `features` the ledger records for a request: the classify activity's decision (its own
 * code, src/request/router/decide.ts, on the rules path: structural features and the rules-v1
 * complexity) with `complexity` added, exactly as src/request/ledger/outcome.ts writes the row.
 */
export function recordedFeatures(task: string, messages: ChatMessage[]): Record<string, number> {
  const decision = decide({ task, messages });
  return { ...decision.features, complexity: decision.complexity };
}

/**
 * The training rows' recorded features, binned per feature as drift_input's PSI bins a reference
 * (src/request/router/calibration/feature-bins.ts, referenceBins): what a task's traffic is compared with. Bins, not values: a few hundred
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
const pv = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : x < 1e-4 ? x.toExponential(1) : x.toPrecision(2);

function skipText(s: CalibrationArtefactV2['rungs'][number]['skip']): string {
  if (!s) return 'never skipped';
  return s.kind === 'always'
    ? 'always skipped'
    : `skipped when the classifier's P(good) < ${s.predicted.toFixed(3)}`;
}

function ladderText(ladder: readonly string[]): string {
  return ladder.join(' > ');
}

/** A policy in one line: each rung with its threshold or skip rule (`a >=0.853 > b`). */
function policyText(p: CalibrationArtefactV2['curve'][number]): string {
  return p.ladder
    .map((m, j) => {
      const skip = p.skips[j];
      if (skip?.kind === 'always') return `(${m} skipped)`;
      const parts = [m];
      if (p.thresholds[j] !== null && p.thresholds[j] !== undefined)
        parts.push(`>=${p.thresholds[j]!.toFixed(3)}`);
      if (skip?.kind === 'below') parts.push(`skip<${skip.predicted.toFixed(2)}`);
      return parts.join(' ');
    })
    .join(' > ');
}

/** Curve rows to print: every tested one, the chosen, and the rest thinned to about `max`. */
function curveRows(a: CalibrationArtefactV2, max = 24): CalibrationArtefactV2['curve'] {
  const c = a.curve;
  if (c.length <= max) return c;
  const keep = new Set<number>();
  c.forEach((p, i) => {
    if (p.pValue !== null) keep.add(i);
  });
  for (let k = 0; k < max; k++) keep.add(Math.round((k * (c.length - 1)) / (max - 1)));
  return c.filter((_, i) => keep.has(i));
}

/** The human-readable report: the chosen ladder, the curve, the guarantee in words, the files. */
export function formatCalibration(o: CalibrateOutcome): string {
  const a = o.artefact;
  const ref = a.candidates[a.candidates.length - 1]!;
  const lines: string[] = [];
  lines.push(
    `calibrated on ${a.training.rows} labelled rows (${a.training.files.map((f) => `${f.name} ${f.rows}`).join(', ')})`,
    a.selection === 'subsets'
      ? `candidates (cheapest first): ${a.candidates.slice(0, -1).join(', ')}; reference ${ref} (quality and cost are relative to it alone)`
      : `ladder: ${a.candidates.join(' -> ')}; reference ${ref}`,
    `target: ${pct(a.target.relativeQuality)} of ${ref}'s accuracy with ${pct(a.target.confidence, 0)} confidence ` +
      `(learn-then-test: a bet or an exact thinned binomial per candidate, fixed-sequence; seed ${a.target.seed})`,
    `split: ${a.split.fitRows} rows fitted on (maps, classifier, the order of the candidates), ${a.split.testRows} rows held out to test`,
    `search: ${a.search.ladders} ladder${a.search.ladders === 1 ? '' : 's'}` +
      (a.selection === 'subsets' ? ` (every cheapest-first subset of up to ${a.maxRungs} models)` : '') +
      `, ${a.search.policies} policies; ${a.search.sequence} in the testing order, ${a.search.tested} tested, ${a.search.accepted} accepted`,
    '',
  );
  const staticRec = a.recommendation.route === 'static';
  lines.push(
    a.ladder.length === 1
      ? `chosen: ${a.ladder[0]} alone (no cascade)`
      : `chosen ladder: ${a.ladder.join(' -> ')}` +
          (a.rungs.slice(0, -1).every((r) => r.skip?.kind === 'always')
            ? ' (every rung but the last skipped)'
            : ''),
  );
  a.rungs.forEach((r, i) => {
    if (i === a.rungs.length - 1) {
      lines.push(`  rung ${i + 1} ${r.model}: the last rung, its answer stands`);
      return;
    }
    const fit = r.calibrationFit
      ? `${r.confidenceKind} -> ${r.calibrationFit.chosen} map (held-out log loss: isotonic ${r.calibrationFit.heldOutLogLoss.isotonic.toFixed(4)}, platt ${r.calibrationFit.heldOutLogLoss.platt.toFixed(4)})`
      : 'no confidence in the data: stands unless skipped';
    const threshold = r.threshold === null ? '' : `, threshold P(correct) >= ${r.threshold.toFixed(4)}`;
    lines.push(`  rung ${i + 1} ${r.model}: ${fit}${threshold}, ${skipText(r.skip)}`);
  });
  if (a.classifier) {
    lines.push(
      `classifier ${a.classifier.version} (logistic, ${1 << a.classifier.hashing.bits} hashed n-gram buckets + ${a.classifier.structural.names.length} structural features; trained on the fit part):`,
    );
    for (const [m, h] of Object.entries(a.classifier.heads)) {
      lines.push(
        `  ${m}: out-of-fold AUC ${h.report.heldOut.auc?.toFixed(3) ?? '-'}, log loss ${h.report.heldOut.logLoss.toFixed(4)} (base rate ${h.report.heldOut.baseLogLoss.toFixed(4)}), l2 ${h.report.l2}`,
      );
    }
    if (a.classifier.taskType) lines.push(`  task types: ${a.classifier.taskType.labels.join(', ')}`);
  }
  lines.push(
    '',
    `cost/quality curve: the fit part's frontier (for each cost, the best estimate), relative to ${ref} alone;`,
    `"test" columns on the ${a.split.testRows} held-out rows; bound = exact ${pct(a.target.confidence, 0)} lower bound of quality; ` +
      `p = the test's p-value at the target, in testing order from the dearest (- = not reached)`,
  );
  const c = a.chosen;
  const chosenLadder = ladderText(a.ladder);
  const rows = curveRows(a).map((p) => ({
    mark:
      p.accepted &&
      ladderText(p.ladder) === chosenLadder &&
      Math.abs(p.testRelativeCost - c.relativeCost) < 1e-12
        ? '*'
        : p.accepted
          ? '+'
          : '',
    p,
  }));
  const header = [
    '',
    'policy (threshold on P(correct), skip point)',
    'cost',
    'quality',
    'test cost',
    'test quality',
    'bound',
    'p',
    'escalated',
    'skipped',
  ];
  const body = rows
    .sort((x, y) => x.p.relativeCost - y.p.relativeCost)
    .map(({ mark, p }) => [
      mark,
      policyText(p),
      pct(p.relativeCost),
      pct(p.relativeQuality),
      pct(p.testRelativeCost),
      pct(p.testRelativeQuality),
      pct(p.lowerBound),
      pv(p.pValue),
      pct(p.escalationRate),
      pct(p.skipRate),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmtRow = (r: string[]) =>
    r.map((cell, i) => (i === 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  lines.push(fmtRow(header), fmtRow(widths.map((w) => '-'.repeat(w))), ...body.map(fmtRow));
  lines.push('(* chosen, + accepted by the test)', '');
  lines.push(
    c.pValue !== null
      ? `chosen (*) on the ${c.test.rows} held-out rows: relative quality ${pct(c.relativeQuality)} (exact lower bound ${pct(c.lowerBound)}; ` +
          `p = ${pv(c.pValue)} at the target: ${c.test.losses} losses, ${c.test.wins} wins, ${c.test.bothRight} both right), ` +
          `cost ${pct(c.relativeCost)} of ${ref} alone`
      : `nothing accepted: ${ref} alone is served (on the ${c.test.rows} held-out rows: relative quality ${pct(c.relativeQuality)}, cost ${pct(c.relativeCost)})`,
    `  expected escalation rate ${pct(c.escalationRate)} (interval ${pct(c.intervals.escalationRate[0])}..${pct(c.intervals.escalationRate[1])}), ` +
      `savings ${pct(1 - c.relativeCost)} (interval ${pct(c.intervals.savings[0])}..${pct(c.intervals.savings[1])}), skipped ${pct(c.skipRate)}`,
  );
  lines.push(
    `point estimate (no guarantee): ${ladderText(a.baseline.ladder)}, quality ${pct(a.baseline.relativeQuality)}, cost ${pct(a.baseline.relativeCost)} on every row`,
    `single models (held-out rows): ${a.staticOptions
      .map(
        (s) =>
          `${s.model} quality ${pct(s.relativeQuality)} (bound ${pct(s.lowerBound)}) cost ${pct(s.relativeCost)}`,
      )
      .join('; ')}`,
    '',
    `guarantee: ${a.guarantee}`,
    '',
    `recommendation: ${
      staticRec
        ? `route static with ${a.recommendation.model}`
        : `route cascade with the rungs ${a.ladder.join(', ')} and this calibration`
    }: ${a.recommendation.reason}`,
    '',
    `artefact ${a.version}: ${o.files.versioned} (and ${o.files.latest})`,
    `curve: ${o.files.svg}`,
    staticRec
      ? `use it: give the task  route: static  with the model ${a.recommendation.model} (no calibration needed)` +
          (a.ladder.length > 1
            ? `; a cascade task with the rungs ${a.ladder.join(', ')} pointing to this artefact behaves the same (it skips every rung but the last)`
            : '')
      : `use it: in cascade.config.yaml, give the task the rungs ${a.ladder.join(', ')} and  calibration: ${o.files.latest}  (a path relative to the config file)`,
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
    candidates: a.candidates,
    selection: a.selection,
    target: a.target,
    split: a.split,
    search: a.search,
    guarantee: a.guarantee,
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
  };
}
