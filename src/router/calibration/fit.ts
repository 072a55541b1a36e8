/**
 * `cascade calibrate` without the files: from labelled outcomes to an artefact (without its
 * version, which src/calibration/artefact-file.ts stamps from the content).
 *
 *   1. a calibration map per checking rung (isotonic or Platt, by held-out log loss, maps.ts);
 *   2. the pre-route classifier (logistic heads per rung, train-classifier.ts), with out-of-fold
 *      predictions for the calibration rows;
 *   3. thresholds and skip points by the bounded search (search.ts), replaying the rows through
 *      the workflow's own decision code (simulate.ts);
 *   4. the artefact: maps, thresholds, skips, classifier, the chosen point and its intervals,
 *      the curve, the recommendation.
 */
import type { ChatMessage } from '../../providers/types';
import { DEFAULT_HASHING, type HashingOptions, promptFeatures } from '../features';
import type { CalibrationMap } from '../policy';
import {
  ARTEFACT_FORMAT,
  ARTEFACT_KIND,
  type CalibrationArtefact,
  CONFIDENCE_KIND_SOURCES,
} from './artefact';
import { type MapSelection, selectCalibrationMap } from './maps';
import { type SearchResult, searchPolicy } from './search';
import type { RecordedOutcome, ReplayRow, RungPolicy } from './simulate';
import { trainClassifier, type TrainedClassifier } from './train-classifier';

/** One labelled request: its prompt and what each model did on it. */
export interface LabelledRow {
  /** Where it came from, for error messages. */
  file: string;
  line: number;
  id: string;
  task: string;
  messages: ChatMessage[];
  outcomes: Record<string, LabelledOutcome>;
}

export interface LabelledOutcome extends RecordedOutcome {
  /** The data's `confidence_kind`, null when the row has no confidence for the model. */
  kind: string | null;
}

export interface FitOptions {
  ladder: string[];
  /** Relative quality the served answers must keep, e.g. 0.97. */
  target: number;
  /** Confidence of the bound, e.g. 0.95. */
  confidence: number;
  resamples?: number;
  seed?: number;
  folds?: number;
  /** Train the pre-route classifier (default true). */
  classifier?: boolean;
  hashing?: HashingOptions;
  maxConfigs?: number;
  /** See SearchInput.selection. */
  selection?: 'fixed-sequence' | 'cheapest-bounded';
  /**
   * A rung gets skip points only when its classifier head separates right from wrong answers at
   * least this well out of fold (AUC; default 0.6): a weaker head only adds policies to choose
   * among, and so chances to fit noise.
   */
  minSkipAuc?: number;
  /** What wrote the artefact, e.g. `cascade-router 0.1.0`. */
  tool?: string;
  training?: { files: { name: string; rows: number; sha256: string }[] };
}

export interface FitResult {
  /** The artefact, versions still empty (artefact-file.ts stamps them). */
  artefact: CalibrationArtefact;
  search: SearchResult;
  maps: (MapSelection | null)[];
  classifier: TrainedClassifier | null;
  /** Rung policies as fitted, thresholds and skips of the chosen point. */
  policy: RungPolicy[];
}

/** The rung's confidence kind in the rows: one kind, or null when no row has a confidence. */
export function rungKind(rows: readonly LabelledRow[], model: string): string | null {
  return rows.find((r) => r.outcomes[model]?.kind)?.outcomes[model]?.kind ?? null;
}

export function fitCascadeCalibration(rows: readonly LabelledRow[], opts: FitOptions): FitResult {
  const { ladder } = opts;
  const K = ladder.length;
  const seed = opts.seed ?? 1;
  const hashing = opts.hashing ?? DEFAULT_HASHING;

  // 1. Calibration maps.
  const maps: (MapSelection | null)[] = ladder.map((model, i) => {
    const kind = rungKind(rows, model);
    if (i === K - 1 || kind === null) return null;
    const source = CONFIDENCE_KIND_SOURCES[kind];
    if (!source) throw new Error(`unknown confidence kind "${kind}" for ${model}`);
    return selectCalibrationMap(
      rows.map((r) => r.outcomes[model]!.raw!),
      rows.map((r) => r.outcomes[model]!.correct),
      source,
      { folds: opts.folds, seed },
    );
  });
  const rungs: RungPolicy[] = ladder.map((model, i) => {
    const kind = i === K - 1 ? null : rungKind(rows, model);
    return {
      model,
      source: kind === null ? null : CONFIDENCE_KIND_SOURCES[kind]!,
      calibration: maps[i]?.map ?? ({ kind: 'identity' } as CalibrationMap),
      threshold: null,
      skip: null,
    };
  });

  // 2. The classifier (heads for the rungs that can be skipped).
  let classifier: TrainedClassifier | null = null;
  if (opts.classifier !== false) {
    const features = rows.map((r) => promptFeatures(r.messages, hashing));
    const outcomes: Record<string, boolean[]> = {};
    for (const model of ladder.slice(0, -1)) outcomes[model] = rows.map((r) => r.outcomes[model]!.correct);
    classifier = trainClassifier(
      features,
      outcomes,
      rows.map((r) => r.task),
      { hashing, folds: opts.folds, seed },
    );
  }

  // 3. The bounded search, on out-of-fold predictions.
  const minSkipAuc = opts.minSkipAuc ?? 0.6;
  const skippable = new Set(
    ladder.filter((m) => (classifier?.model.heads[m]?.report.heldOut.auc ?? 0) >= minSkipAuc),
  );
  const replayRows: ReplayRow[] = rows.map((r, j) => ({
    outcomes: ladder.map((m) => r.outcomes[m]!),
    predicted: ladder.map((m) => (skippable.has(m) ? (classifier?.outOfFold[m]?.[j] ?? null) : null)),
  }));
  const search = searchPolicy({
    rungs,
    rows: replayRows,
    target: opts.target,
    confidence: opts.confidence,
    resamples: opts.resamples,
    seed,
    useClassifier: skippable.size > 0,
    maxConfigs: opts.maxConfigs,
    selection: opts.selection,
  });
  const policy = rungs.map((r, i) => ({
    ...r,
    threshold: search.chosen.thresholds[i] ?? null,
    skip: search.chosen.skips[i] ?? null,
  }));

  // 4. The artefact.
  const point = (p: {
    relativeQuality: number;
    lowerBound?: number;
    relativeCost: number;
    escalationRate: number;
    skipRate: number;
  }) => ({
    relativeQuality: p.relativeQuality,
    ...(p.lowerBound !== undefined ? { lowerBound: p.lowerBound } : {}),
    relativeCost: p.relativeCost,
    escalationRate: p.escalationRate,
    skipRate: p.skipRate,
  });
  const c = search.chosen;
  const artefact: CalibrationArtefact = {
    kind: ARTEFACT_KIND,
    format: ARTEFACT_FORMAT,
    version: '',
    tool: opts.tool ?? 'cascade-router',
    ladder: [...ladder],
    target: {
      relativeQuality: opts.target,
      confidence: opts.confidence,
      bound: 'bootstrap-percentile',
      resamples: opts.resamples ?? 1000,
      seed,
    },
    training: { files: opts.training?.files ?? [], rows: rows.length },
    rungs: policy.map((r, i) => ({
      model: r.model,
      confidenceKind: i === K - 1 ? null : rungKind(rows, r.model),
      confidence: r.source,
      calibration: r.calibration,
      calibrationFit: maps[i]
        ? {
            chosen: maps[i]!.chosen,
            heldOutLogLoss: maps[i]!.heldOutLogLoss,
            folds: maps[i]!.folds,
            rows: maps[i]!.rows,
            positives: maps[i]!.positives,
          }
        : null,
      threshold: i === K - 1 || r.skip?.kind === 'always' ? null : r.threshold,
      skip: r.skip,
    })),
    classifier: classifier?.model ?? null,
    chosen: {
      ...point(c),
      thresholds: c.thresholds.map((t) => (t === null || Number.isFinite(t) ? t : null)),
      accuracy: c.accuracy,
      largeAccuracy: search.largeAccuracy,
      meanCostUsd: c.meanCostUsd,
      largeOnlyMeanCostUsd: search.largeOnlyMeanCostUsd,
      intervals: c.intervals,
    },
    baseline: point(search.baseline),
    recommendation: search.recommendation,
    curve: search.frontier.map((p) => ({ ...point(p), lowerBound: p.lowerBound })),
    staticOptions: search.staticOptions,
  };
  return { artefact, search, maps, classifier, policy };
}

/** The rung policies an artefact describes (what the workflow's snapshot will carry). */
export function policyOfArtefact(a: CalibrationArtefact): RungPolicy[] {
  return a.rungs.map((r) => ({
    model: r.model,
    source: r.confidence,
    calibration: r.calibration,
    threshold: r.threshold,
    skip: r.skip,
  }));
}
