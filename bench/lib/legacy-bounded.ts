/**
 * The calibration as it was before the learn-then-test guarantee (format-1 artefacts), kept here
 * as bench/routing's reference and nowhere else: calibration maps and the classifier fitted on ALL
 * the calibration rows, thresholds and skip points chosen by the percentile-bootstrap search of
 * src/tools/calibrate/search.ts (fixed-sequence walk down the point-estimate frontier) on the
 * same rows. This is "today's bounded policy" of issue #15: its bound is computed on the rows that
 * fitted the maps, built the grid and ordered the candidates, so its stated confidence is not one.
 *
 * The point-estimate variants (bench/lib/routing-policies.ts) use the same rows and maps.
 */
import { CONFIDENCE_KIND_SOURCES } from '../../src/request/router/calibration/artefact';
import { rungKind, type LabelledRow } from '../../src/tools/calibrate/fit';
import { selectCalibrationMap } from '../../src/tools/calibrate/maps';
import { searchPolicy, type SearchResult } from '../../src/tools/calibrate/search';
import type { ReplayRow, RungPolicy } from '../../src/tools/calibrate/simulate';
import { trainClassifier, type TrainedClassifier } from '../../src/tools/calibrate/train-classifier';
import { compileClassifier, predictWithClassifier } from '../../src/request/router/classifier';
import { DEFAULT_HASHING, promptFeatures } from '../../src/request/router/features';
import type { CalibrationMap } from '../../src/request/router/policy';

export interface LegacyFit {
  /** Rung sources and maps (thresholds and skips of the chosen point). */
  policy: RungPolicy[];
  search: SearchResult;
  /** The calibration rows as the search saw them (out-of-fold predictions where a head qualified). */
  rows: ReplayRow[];
  classifier: TrainedClassifier | null;
  /** The fitted classifier's predictions for other rows (the classify activity's, for the ladder). */
  predict: (row: LabelledRow) => (number | null)[];
}

/** fit.ts's floor on a head's out-of-fold AUC before it may set skip points. */
const MIN_SKIP_AUC = 0.6;

export function legacyBoundedFit(
  rows: readonly LabelledRow[],
  ladder: readonly string[],
  opts: { target: number; confidence: number; seed: number; resamples: number; classifier: boolean },
): LegacyFit {
  const K = ladder.length;
  const { seed } = opts;
  const hashing = DEFAULT_HASHING;
  const rungs: RungPolicy[] = ladder.map((model, i) => {
    const kind = i === K - 1 ? null : rungKind(rows, model);
    const source = kind === null ? null : CONFIDENCE_KIND_SOURCES[kind]!;
    const map: CalibrationMap =
      source === null
        ? { kind: 'identity' }
        : selectCalibrationMap(
            rows.map((r) => r.outcomes[model]!.raw!),
            rows.map((r) => r.outcomes[model]!.correct),
            source,
            { seed },
          ).map;
    return { model, source, calibration: map, threshold: null, skip: null };
  });
  let classifier: TrainedClassifier | null = null;
  if (opts.classifier) {
    const outcomes: Record<string, boolean[]> = {};
    for (const model of ladder.slice(0, -1)) outcomes[model] = rows.map((r) => r.outcomes[model]!.correct);
    classifier = trainClassifier(
      rows.map((r) => promptFeatures(r.messages, hashing)),
      outcomes,
      rows.map((r) => r.task),
      { hashing, seed },
    );
  }
  const skippable = new Set(
    ladder.filter((m) => (classifier?.model.heads[m]?.report.heldOut.auc ?? 0) >= MIN_SKIP_AUC),
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
  });
  const compiled = classifier ? compileClassifier(classifier.model) : null;
  return {
    policy: rungs.map((r, i) => ({
      ...r,
      threshold: search.chosen.thresholds[i] ?? null,
      skip: search.chosen.skips[i] ?? null,
    })),
    search,
    rows: replayRows,
    classifier,
    predict: (row) =>
      compiled
        ? predictWithClassifier(compiled, promptFeatures(row.messages, hashing), ladder).rungs.map((p, i) =>
            skippable.has(ladder[i]!) ? p : null,
          )
        : ladder.map(() => null),
  };
}
