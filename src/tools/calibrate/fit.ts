/**
 * `cascade calibrate` without the files: from labelled outcomes to an artefact (without its
 * version, which src/request/config-file/artefact-file.ts stamps from the content). The same function
 * serves `cascade advise` and bench/routing.
 *
 *   0. split the rows, by the seed, into a fit part (`fitShare`) and a test part;
 *   1. on the fit part: a calibration map per candidate model with a confidence (isotonic or
 *      Platt, by held-out log loss, maps.ts) and the pre-route classifier (one logistic head per
 *      model but the reference, predicting whether that model's answer is as good as the
 *      reference's: right, or the reference wrong too; train-classifier.ts) with its out-of-fold
 *      predictions;
 *   2. the candidates (a fixed ladder's policies, or every cheapest-first subset of the candidate
 *      models up to `maxRungs` rungs), ordered on the fit part and tested on the test part with
 *      a finite-sample test (a bet or the thinned binomial), fixed-sequence (select.ts, guarantee.ts);
 *   3. the artefact: the chosen ladder, its maps, thresholds and skips, the classifier, the chosen
 *      point with its test-part figures and p-value, the curve, the recommendation (which may be
 *      "don't route"), the candidates considered and the split sizes.
 *
 * The deployed policy is exactly the one tested: maps and classifier fitted on the fit part only.
 */
import type { ChatMessage } from '../../request/providers/types';
import { compileClassifier, predictWithClassifier } from '../../request/router/classifier';
import { DEFAULT_HASHING, type HashingOptions, promptFeatures } from '../../request/router/features';
import type { CalibrationMap } from '../../request/router/policy';
import { shuffledIndices } from '../../request/router/random';
import {
  type ArtefactRung,
  type CalibrationArtefactV2,
  CONFIDENCE_KIND_SOURCES,
  type Recommendation,
} from '../../request/router/calibration/artefact';
import { GUARANTEE_PROCEDURE, GUARANTEE_SEQUENCE, GUARANTEE_STATISTIC, kellyBet } from './guarantee';
import { type MapSelection, selectCalibrationMap } from './maps';
import { type ChosenPolicy, ladderSubsets, type ModelRung, type SelectResult, selectPolicy } from './select';
import type { RecordedOutcome, RungPolicy } from './simulate';
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

/** The default share of the labelled rows the maps, the classifier and the order are fitted on. */
export const DEFAULT_FIT_SHARE = 0.3;
/** The default longest ladder `--candidates` considers. */
export const DEFAULT_MAX_RUNGS = 3;

export interface FitOptions {
  /** A fixed ladder, cheapest first (`cascade calibrate --ladder`): its thresholds and skips are chosen. */
  ladder?: string[];
  /**
   * Candidate models, cheapest first; the last is the reference (`--candidates`): the ladder is
   * chosen too, among every cheapest-first subset of up to `maxRungs` models.
   */
  candidates?: string[];
  maxRungs?: number;
  /** Relative quality the served answers must keep, e.g. 0.97. */
  target: number;
  /** Confidence of the guarantee (1 - delta), e.g. 0.95. */
  confidence: number;
  /** Share of the rows fitted on (default DEFAULT_FIT_SHARE); the rest test. */
  fitShare?: number;
  /** Resamples of the chosen point's descriptive intervals. */
  resamples?: number;
  seed?: number;
  folds?: number;
  /** Train the pre-route classifier (default true). */
  classifier?: boolean;
  hashing?: HashingOptions;
  /** Upper limit on policies replayed per ladder. */
  maxConfigs?: number;
  /**
   * A model gets skip points only when its classifier head separates the requests only it
   * answers right from those only the reference answers right at least this well out of fold on
   * the fit part (AUC; default 0.6): a weaker head only adds policies to choose among.
   */
  minSkipAuc?: number;
  /** What wrote the artefact, e.g. `cascade-router 0.1.0`. */
  tool?: string;
  training?: { files: { name: string; rows: number; sha256: string }[] };
  /** See SelectInput.pValue: for test fixtures only. */
  pValue?: Parameters<typeof selectPolicy>[0]['pValue'];
}

export interface FitResult {
  /** The artefact, versions still empty (artefact-file.ts stamps them). */
  artefact: CalibrationArtefactV2;
  selection: SelectResult;
  /** The candidate models (cheapest first; the last is the reference). */
  models: string[];
  /** Per candidate model, its map (null: the reference, or no confidence). */
  maps: (MapSelection | null)[];
  classifier: TrainedClassifier | null;
  /** Indices of the rows fitted on, and tested on. */
  split: { fit: number[]; test: number[] };
  /** The deployed policy's rungs (the artefact's), what the workflow's snapshot will carry. */
  policy: RungPolicy[];
}

/** The rung's confidence kind in the rows: one kind, or null when no row has a confidence. */
export function rungKind(rows: readonly LabelledRow[], model: string): string | null {
  return rows.find((r) => r.outcomes[model]?.kind)?.outcomes[model]?.kind ?? null;
}

/** The fit and test parts of n rows: a seeded shuffle, the first `fitShare` fitted on. */
export function splitRows(n: number, fitShare: number, seed: number): { fit: number[]; test: number[] } {
  if (!(fitShare > 0 && fitShare < 1)) throw new Error(`the fit share must be in (0, 1), got ${fitShare}`);
  if (n < 4) throw new Error(`${n} labelled rows: at least 4 are needed to fit on some and test on the rest`);
  const order = shuffledIndices(n, (seed * 2654435761) >>> 0);
  const k = Math.min(n - 2, Math.max(2, Math.round(n * fitShare)));
  return { fit: order.slice(0, k).sort((a, b) => a - b), test: order.slice(k).sort((a, b) => a - b) };
}

const pct = (x: number, d = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(d)}%` : '-');

/**
 * About how many both-right rows a test with no losses and no wins needs, staking `bet`:
 * log(1/delta) / log(1 + bet (1 - tau)).
 */
export function rowsNeeded(target: number, delta: number, bet: number): number {
  return target >= 1 || !(bet > 0)
    ? Infinity
    : Math.ceil(Math.log(1 / delta) / Math.log1p(bet * (1 - target)));
}

/** The guarantee in words: exactly what is promised, and no more. */
export function guaranteeText(o: {
  target: number;
  confidence: number;
  reference: string;
  fitRows: number;
  testRows: number;
}): string {
  return (
    `With probability at least ${pct(o.confidence, 0)} over the labelled sample, the deployed policy's ` +
    `accuracy is at least ${pct(o.target)} of ${o.reference}'s accuracy on traffic exchangeable with the ` +
    `labelled rows (drawn independently from the same distribution). Finite-sample (learn-then-test): the maps, ` +
    `the classifier and the order of the candidates were fitted on ${o.fitRows} rows, and the candidates ` +
    `tested in that order on the other ${o.testRows} with a finite-sample test (a bet or an exact thinned binomial, chosen per candidate on the fitted rows). Nothing more: not per ` +
    `request, per subject or per tenant, and not after the traffic or a model drifts.`
  );
}

export function fitCascadeCalibration(rows: readonly LabelledRow[], opts: FitOptions): FitResult {
  if (!opts.ladder === !opts.candidates) throw new Error('give either a ladder or candidates');
  const models = [...(opts.ladder ?? opts.candidates)!];
  const R = models.length - 1;
  const reference = models[R]!;
  const seed = opts.seed ?? 1;
  const hashing = opts.hashing ?? DEFAULT_HASHING;
  const delta = 1 - opts.confidence;
  const maxRungs = opts.ladder ? models.length : (opts.maxRungs ?? DEFAULT_MAX_RUNGS);
  if (opts.ladder && models.length < 2) throw new Error('a ladder needs at least 2 rungs');
  const split = splitRows(rows.length, opts.fitShare ?? DEFAULT_FIT_SHARE, seed);
  const fitRows = split.fit.map((i) => rows[i]!);

  // 1. Calibration maps and the classifier, on the fit part.
  const maps: (MapSelection | null)[] = models.map((model, m) => {
    const kind = rungKind(rows, model);
    if (m === R || kind === null) return null;
    const source = CONFIDENCE_KIND_SOURCES[kind];
    if (!source) throw new Error(`unknown confidence kind "${kind}" for ${model}`);
    return selectCalibrationMap(
      fitRows.map((r) => r.outcomes[model]!.raw!),
      fitRows.map((r) => r.outcomes[model]!.correct),
      source,
      { folds: opts.folds, seed },
    );
  });
  const rungs: ModelRung[] = models.map((model, m) => {
    const kind = m === R ? null : rungKind(rows, model);
    return {
      model,
      source: kind === null ? null : CONFIDENCE_KIND_SOURCES[kind]!,
      calibration: maps[m]?.map ?? ({ kind: 'identity' } as CalibrationMap),
    };
  });
  let classifier: TrainedClassifier | null = null;
  if (opts.classifier !== false && R > 0) {
    const features = fitRows.map((r) => promptFeatures(r.messages, hashing));
    // A head per model but the reference, on the soft target (1 + it is right - the reference is
    // right) / 2: 1 where only it is right, 0 where only the reference is, 0.5 where they agree.
    // Its expectation ranks requests by the accuracy calling the reference instead would gain,
    // what a skip decides; the boolean "as good as the reference" (right, or the reference wrong
    // too) counted a request only the small model answers right as a tie (issue #15; the APGR
    // figures of both targets: bench/README.md, RouteLLM).
    const outcomes: Record<string, number[]> = {};
    for (const model of models.slice(0, -1)) {
      outcomes[model] = fitRows.map(
        (r) => (1 + Number(r.outcomes[model]!.correct) - Number(r.outcomes[reference]!.correct)) / 2,
      );
    }
    classifier = trainClassifier(
      features,
      outcomes,
      fitRows.map((r) => r.task),
      { hashing, folds: opts.folds, seed },
    );
  }

  // 2. Candidates, order and test.
  const minSkipAuc = opts.minSkipAuc ?? 0.6;
  const skippable = new Set(
    models
      .map((m, k) => ((classifier?.model.heads[m]?.report.heldOut.auc ?? 0) >= minSkipAuc ? k : -1))
      .filter((k) => k >= 0),
  );
  const compiled = classifier && skippable.size > 0 ? compileClassifier(classifier.model) : null;
  const fitPos = new Map(split.fit.map((i, j) => [i, j]));
  const selectRows = rows.map((r, i) => {
    const j = fitPos.get(i);
    let predicted: (number | null)[] = models.map(() => null);
    if (classifier && skippable.size > 0) {
      if (j !== undefined) {
        predicted = models.map((m, k) => (skippable.has(k) ? (classifier!.outOfFold[m]?.[j] ?? null) : null));
      } else {
        // Exactly what the classify activity computes at run time (src/request/router/decide.ts).
        const p = predictWithClassifier(compiled!, promptFeatures(r.messages, hashing), models).rungs;
        predicted = p.map((x, k) => (skippable.has(k) ? x : null));
      }
    }
    return { outcomes: models.map((m) => r.outcomes[m]!), predicted };
  });
  const ladders = opts.ladder ? [models.map((_, k) => k)] : ladderSubsets(models.length, maxRungs);
  const selection = selectPolicy({
    models: rungs,
    ladders,
    rows: selectRows,
    fit: split.fit,
    test: split.test,
    target: opts.target,
    delta,
    seed,
    alwaysSkip: Boolean(opts.ladder),
    skippable,
    maxConfigsPerLadder: opts.maxConfigs,
    resamples: opts.resamples,
    pValue: opts.pValue,
  });

  // 3. The artefact.
  const deployed: ChosenPolicy = selection.chosen ?? selection.fallback;
  const ladder = deployed.ladder.map((k) => models[k]!);
  const K = ladder.length;
  const artefactRungs: ArtefactRung[] = deployed.ladder.map((k, j) => {
    const isLast = j === K - 1;
    const skip = isLast ? null : (deployed.skips[j] ?? null);
    return {
      model: models[k]!,
      confidenceKind: isLast ? null : rungKind(rows, models[k]!),
      confidence: isLast ? null : rungs[k]!.source,
      calibration: isLast ? { kind: 'identity' } : rungs[k]!.calibration,
      calibrationFit:
        !isLast && maps[k]
          ? {
              chosen: maps[k]!.chosen,
              heldOutLogLoss: maps[k]!.heldOutLogLoss,
              folds: maps[k]!.folds,
              rows: maps[k]!.rows,
              positives: maps[k]!.positives,
            }
          : null,
      threshold: isLast || skip?.kind === 'always' ? null : (deployed.thresholds[j] ?? null),
      skip,
    };
  });
  // The classifier's heads for the deployed ladder's rungs but the last (a head per rung, as the
  // classify activity predicts them); none for a single model.
  let artefactClassifier: CalibrationArtefactV2['classifier'] = null;
  if (classifier && K > 1) {
    const keep = new Set(ladder.slice(0, -1));
    artefactClassifier = {
      ...classifier.model,
      heads: Object.fromEntries(Object.entries(classifier.model.heads).filter(([m]) => keep.has(m))),
    };
  }
  const point = (f: {
    relativeQuality: number;
    relativeCost: number;
    escalationRate: number;
    skipRate: number;
  }) => ({
    relativeQuality: f.relativeQuality,
    relativeCost: f.relativeCost,
    escalationRate: f.escalationRate,
    skipRate: f.skipRate,
  });
  const t = deployed.test;
  const names = (ks: readonly number[]) => ks.map((k) => models[k]!);
  const sequenceP = new Map(selection.steps.map((s) => [s.candidate, s]));
  const guarantee = guaranteeText({
    target: opts.target,
    confidence: opts.confidence,
    reference,
    fitRows: split.fit.length,
    testRows: split.test.length,
  });
  const artefact: CalibrationArtefactV2 = {
    kind: 'cascade-calibration',
    format: 2,
    version: '',
    tool: opts.tool ?? 'cascade-router',
    ladder,
    target: {
      relativeQuality: opts.target,
      confidence: opts.confidence,
      bound: GUARANTEE_PROCEDURE,
      statistic: GUARANTEE_STATISTIC,
      sequence: GUARANTEE_SEQUENCE,
      seed,
    },
    candidates: models,
    selection: opts.ladder ? 'ladder' : 'subsets',
    maxRungs,
    split: { fitRows: split.fit.length, testRows: split.test.length, seed },
    search: {
      ladders: selection.grid.ladders,
      policies: selection.grid.policies,
      sequence: selection.sequence.length,
      tested: selection.steps.length,
      accepted: selection.steps.filter((s) => s.rejected).length,
    },
    guarantee,
    training: { files: opts.training?.files ?? [], rows: rows.length },
    rungs: artefactRungs,
    classifier: artefactClassifier,
    chosen: {
      ...point(t),
      lowerBound: t.lowerBound,
      thresholds: artefactRungs.map((r) => r.threshold),
      accuracy: t.accuracy,
      largeAccuracy: selection.reference.test.accuracy,
      meanCostUsd: t.meanCostUsd,
      largeOnlyMeanCostUsd: selection.reference.test.meanCostUsd,
      intervals: deployed.intervals,
      pValue: selection.chosen ? t.pValue : null,
      fit: { relativeQuality: deployed.fit.relativeQuality, relativeCost: deployed.fit.relativeCost },
      test: {
        rows: t.rows,
        losses: t.losses,
        wins: t.wins,
        bothRight: t.bothRight,
        statistic: t.statistic,
        ...(t.bet !== null ? { bet: t.bet, eValue: t.eValue! } : {}),
        ...(t.debits !== null ? { debits: t.debits, marked: t.marked! } : {}),
      },
    },
    baseline: { ...point(selection.pointEstimate.all), ladder: names(selection.pointEstimate.ladder) },
    recommendation: recommend(selection, models, opts.target, opts.confidence),
    curve: selection.frontier.map((c, k) => {
      const ft = selection.frontierTest[k]!;
      const step = sequenceP.get(selection.candidates.indexOf(c));
      return {
        ...point(c.fit),
        lowerBound: ft.lowerBound,
        ladder: names(c.ladder),
        thresholds: c.thresholds.map((x, j) =>
          j === c.ladder.length - 1 || x === null || !Number.isFinite(x) ? null : x,
        ),
        skips: c.skips.map((x, j) => (j === c.ladder.length - 1 ? null : (x ?? null))),
        testRelativeQuality: ft.relativeQuality,
        testRelativeCost: ft.relativeCost,
        pValue: step ? step.pValue : null,
        accepted: step?.rejected ?? false,
      };
    }),
    staticOptions: selection.alone.map((a) => ({
      model: models[a.model]!,
      rung: a.model,
      relativeQuality: a.test.relativeQuality,
      relativeCost: a.test.relativeCost,
      lowerBound: a.model === R ? 1 : a.test.lowerBound,
      pValue: a.model === R ? 0 : a.test.pValue,
    })),
  };
  return {
    artefact,
    selection,
    models,
    maps,
    classifier,
    split,
    policy: policyOfArtefact(artefact),
  };
}

function recommend(s: SelectResult, models: string[], target: number, confidence: number): Recommendation {
  const R = models.length - 1;
  const ref = models[R]!;
  const c = s.chosen;
  if (!c) {
    const t = s.fallback.test;
    const need = rowsNeeded(target, 1 - confidence, kellyBet(s.fallback.fitCounts, target));
    return {
      route: 'static',
      model: ref,
      reason:
        `no policy could be guaranteed to keep ${pct(target)} of ${ref}'s accuracy with ${pct(confidence, 0)} ` +
        `confidence from ${t.rows} held-out rows (the first tested failed${s.tested[0] ? `, p = ${s.tested[0].test.pValue.toPrecision(2)}` : ''}; ` +
        `a policy with no losses and no wins needs about ${need} rows both answer right, these have ${t.bothRight}): ` +
        `serve ${ref} alone (route static)`,
    };
  }
  const ladder = c.ladder.map((k) => models[k]!);
  const served = c.ladder.filter((_, j) => j === c.ladder.length - 1 || c.skips[j]?.kind !== 'always');
  const guaranteed =
    `relative quality ${pct(c.test.relativeQuality)} on the held-out rows, guaranteed >= ${pct(target)} ` +
    `with ${pct(confidence, 0)} confidence (p = ${c.test.pValue.toPrecision(2)})`;
  if (served.length === 1 && served[0] !== R) {
    const m = models[served[0]!]!;
    return {
      route: 'static',
      model: m,
      reason: `${m} alone keeps the target: ${guaranteed}, for ${pct(c.test.relativeCost)} of ${ref}'s cost: no routing needed`,
    };
  }
  if (!(c.test.relativeCost < 1)) {
    return {
      route: 'static',
      model: ref,
      reason: `the only policies guaranteed to keep ${pct(target)} of ${ref}'s accuracy cost no less than it on the held-out rows: serve ${ref} alone (route static)`,
    };
  }
  return {
    route: 'cascade',
    model: null,
    reason:
      `${ladder.join(' -> ')}: expected cost ${pct(c.test.relativeCost)} of ${ref} alone (savings ` +
      `${pct(1 - c.test.relativeCost)}, interval ${pct(c.intervals.savings[0])}..${pct(c.intervals.savings[1])}), ${guaranteed}`,
  };
}

/** The rung policies an artefact describes (what the workflow's snapshot will carry). */
export function policyOfArtefact(a: { rungs: readonly ArtefactRung[] }): RungPolicy[] {
  return a.rungs.map((r) => ({
    model: r.model,
    source: r.confidence,
    calibration: r.calibration,
    threshold: r.threshold,
    skip: r.skip,
  }));
}
