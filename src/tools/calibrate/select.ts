/**
 * Choosing the ladder, its thresholds and its pre-route skip points under the guarantee
 * (guarantee.ts): learn-then-test on two disjoint parts of the labelled rows.
 *
 *   fit part   the calibration maps and the classifier were fitted on it (fit.ts); here every
 *              candidate policy is replayed on it and the candidates are ORDERED: the cost/quality
 *              frontier of the fit part (for each cost, the best point estimate), dearest first;
 *   test part  rows nothing was fitted or ordered on: the candidates are tested in that order with
 *              a finite-sample test at level delta (the bet or the thinned binomial, whichever
 *              the candidate's fit-part counts predict stronger), stopping at the first that fails
 *              (fixed-sequence testing). Every accepted policy keeps the target with probability
 *              >= 1 - delta (over the labelled sample); the cheapest accepted one is deployed.
 *
 * Candidates: any ladder the caller lists (cheapest first, indices into `models`; `--candidates`
 * lists every cheapest-first subset up to `maxRungs` long, a single cheaper model included), and
 * for each ladder every combination of its rungs' options: a threshold on the calibrated
 * P(correct) (quantiles of the fit part's calibrated values), a skip point on the classifier's
 * predicted P(good) (inner quantiles of its out-of-fold predictions on the fit part, for models
 * whose head separates right from wrong), or "always skip" (when `alwaysSkip`, for a fixed
 * ladder). Everything is replayed through the workflow's own decision code (simulate.ts).
 * Quality and cost are relative to the reference model (the last of `models`) answering alone.
 * The reference alone needs no test: it is the answer when nothing is accepted.
 */
import type { RungSkip } from '../../request/router/rung-decision';
import { PairedBootstrap, percentileInterval } from './bootstrap';
import { gridSize, quantileGrid } from './policy-grid';
import type { PolicyChoice, PolicyFigures, PolicyIntervals } from './policy-grid';
import {
  chooseStatistic,
  countOutcomes,
  fixedSequenceTest,
  heldOutTest,
  type OutcomeCounts,
  qualityLowerBound,
  type QualityTest,
  type SequenceStep,
  thinningUniforms,
} from './guarantee';
import {
  calibratedOf,
  type RecordedOutcome,
  replayRequest,
  type ReplayRow,
  type RungPolicy,
} from './simulate';

/** A candidate model as a rung: its confidence source and calibration map (fitted on the fit part). */
export type ModelRung = Omit<RungPolicy, 'threshold' | 'skip'>;

export interface SelectRow {
  /** One outcome per model of `models`, in that order. */
  outcomes: RecordedOutcome[];
  /**
   * The classifier's P(good enough) per model (null: none). Fit rows: out-of-fold predictions;
   * test rows: the fitted classifier's, exactly as the classify activity will compute them.
   */
  predicted: (number | null)[];
}

export interface SelectInput {
  /** The candidate models as rungs, cheapest first; the last is the reference. */
  models: readonly ModelRung[];
  /** Ladders to consider: cheapest-first lists of indices into `models`. */
  ladders: readonly (readonly number[])[];
  rows: readonly SelectRow[];
  /** Indices into `rows`: what was fitted on (and orders the candidates), and what tests them. */
  fit: readonly number[];
  test: readonly number[];
  /** Required relative quality, e.g. 0.97. */
  target: number;
  /** Error level delta of the guarantee (1 - confidence), e.g. 0.05. */
  delta: number;
  /** Seed of the thinned test's uniforms and of the descriptive intervals. */
  seed: number;
  /** Offer "always skip" on every rung but the last (a fixed ladder, whose sub-ladders are not listed). */
  alwaysSkip?: boolean;
  /** Models (indices) whose classifier head may set skip points. */
  skippable?: ReadonlySet<number>;
  /** Upper limit on policies replayed per ladder (the grids shrink for long ladders). */
  maxConfigsPerLadder?: number;
  /** Resamples of the descriptive intervals of the chosen policy (default 1000). */
  resamples?: number;
  /**
   * The test (default: the held-out test's p-value, guarantee.ts), given the test part's counts.
   * A test fixture may swap in another to show what a broken guarantee looks like; production code
   * never does.
   */
  pValue?: (test: OutcomeCounts, target: number) => number;
}

export interface Candidate extends PolicyChoice {
  /** Indices into `models`, cheapest first. */
  ladder: number[];
  /** On the fit part. */
  fit: PolicyFigures;
  /** On the fit part: the quality estimate less one standard error (the order's key). */
  fitSafe: number;
  /** On the fit part: losses, wins, both right (what the test's bet is taken from). */
  fitCounts: OutcomeCounts;
}

export interface TestedCandidate extends Candidate {
  test: PolicyFigures & QualityTest & { lowerBound: number };
  accepted: boolean;
}

export interface ChosenPolicy extends TestedCandidate {
  intervals: PolicyIntervals;
}

export interface SelectResult {
  candidates: Candidate[];
  /** The fit part's frontier, cheapest first (what the curve shows). */
  frontier: Candidate[];
  /** The testing order (indices into `candidates`), dearest first, and the steps taken. */
  sequence: number[];
  steps: SequenceStep[];
  /** Every candidate tested, with its test-part figures. */
  tested: TestedCandidate[];
  /** The deployed policy: the cheapest accepted, or null (serve the reference alone: `fallback`). */
  chosen: ChosenPolicy | null;
  /** The reference alone (in a fixed ladder: every rung but the last skipped), on the test part. */
  fallback: ChosenPolicy;
  /** Test-part figures of each frontier point (descriptive). */
  frontierTest: TestedCandidate['test'][];
  /** Each model alone on the test part (descriptive: only those in the sequence carry the guarantee). */
  alone: { model: number; test: PolicyFigures & QualityTest & { lowerBound: number }; fit: PolicyFigures }[];
  /** The reference alone, on the test part. */
  reference: { test: PolicyFigures; fit: PolicyFigures };
  /** The point-estimate baseline: the cheapest candidate whose fit-part estimate reaches the target (figures on every row). */
  pointEstimate: Candidate & { all: PolicyFigures };
  grid: { ladders: number; policies: number };
}

const ALWAYS: RungSkip = { kind: 'always' };

/** Every cheapest-first subset of 0..n-1 with 1..maxRungs members (a single model included). */
export function ladderSubsets(n: number, maxRungs: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const s: number[] = [];
    for (let k = 0; k < n; k++) if (mask & (1 << k)) s.push(k);
    if (s.length <= maxRungs) out.push(s);
  }
  return out.sort((a, b) => a.length - b.length || a.join(',').localeCompare(b.join(',')));
}

interface RungOption {
  threshold: number | null;
  skip: RungSkip | null;
}

export function selectPolicy(input: SelectInput): SelectResult {
  const { models, rows, fit, test, target, delta } = input;
  const R = models.length - 1; // the reference
  if (models.length === 0) throw new Error('no candidate models');
  if (fit.length === 0 || test.length === 0)
    throw new Error('the fit and the test parts must both have rows');
  const maxConfigs = input.maxConfigsPerLadder ?? 20_000;

  // Calibrated P(correct) per model per row, computed once.
  const calibrated: (number | null)[][] = rows.map((r) =>
    calibratedOf(models as RungPolicy[], { outcomes: r.outcomes, predicted: r.predicted }),
  );
  const refCorrect = (i: number) => (rows[i]!.outcomes[R]!.correct ? 1 : 0);
  const refCost = (i: number) => rows[i]!.outcomes[R]!.answerCostUsd;
  const sum = (idx: readonly number[], f: (i: number) => number) => idx.reduce((s, i) => s + f(i), 0);

  const rungOptions = (m: number, isLast: boolean, tq: number, sq: number): RungOption[] => {
    if (isLast) return [{ threshold: null, skip: null }];
    const rung = models[m]!;
    const thresholds: (number | null)[] =
      rung.source === null
        ? [null]
        : quantileGrid(
            fit.map((i) => calibrated[i]![m]).filter((p): p is number => p !== null && p !== undefined),
            tq,
          );
    if (thresholds.length === 0) thresholds.push(1);
    const skips: (RungSkip | null)[] = [null];
    if (sq > 0 && input.skippable?.has(m)) {
      const preds = fit
        .map((i) => rows[i]!.predicted[m])
        .filter((p): p is number => p !== null && p !== undefined);
      for (const p of quantileGrid(preds, sq + 2).slice(1, -1)) skips.push({ kind: 'below', predicted: p });
    }
    const out: RungOption[] = input.alwaysSkip ? [{ threshold: null, skip: ALWAYS }] : [];
    for (const skip of skips) for (const threshold of thresholds) out.push({ threshold, skip });
    return out;
  };

  const policyOf = (ladder: readonly number[], choice: PolicyChoice): RungPolicy[] =>
    ladder.map((m, j) => ({
      ...models[m]!,
      threshold: choice.thresholds[j] ?? null,
      skip: choice.skips[j] ?? null,
    }));

  // Each ladder's replay rows, built once (the replay is the hot loop of the search).
  const ladderRows = new Map<string, { rows: ReplayRow[]; calibrated: (number | null)[][] }>();
  const rowsOfLadder = (ladder: readonly number[]) => {
    const key = ladder.join(',');
    let cached = ladderRows.get(key);
    if (!cached) {
      cached = {
        rows: rows.map((r) => ({
          outcomes: ladder.map((m) => r.outcomes[m]!),
          predicted: ladder.map((m) => r.predicted[m] ?? null),
        })),
        calibrated: calibrated.map((c) => ladder.map((m) => c[m] ?? null)),
      };
      ladderRows.set(key, cached);
    }
    return cached;
  };

  /** Per row of `idx`: whether the served answer was right, its cost, escalated, skipped. */
  const perRow = (ladder: readonly number[], choice: PolicyChoice, idx: readonly number[]) => {
    const policy = policyOf(ladder, choice);
    const lr = rowsOfLadder(ladder);
    const correct = new Uint8Array(idx.length);
    const cost = new Float64Array(idx.length);
    const esc = new Uint8Array(idx.length);
    const skip = new Uint8Array(idx.length);
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      const res = replayRequest(policy, lr.rows[i]!, lr.calibrated[i]!);
      correct[j] = res.correct ? 1 : 0;
      cost[j] = res.costUsd;
      esc[j] = res.escalated ? 1 : 0;
      skip[j] = res.skipped > 0 ? 1 : 0;
    }
    return { correct, cost, esc, skip };
  };

  const figuresOf = (rs: ReturnType<typeof perRow>, idx: readonly number[]): PolicyFigures => {
    const n = idx.length;
    const right = rs.correct.reduce((s, x) => s + x, 0);
    const cost = rs.cost.reduce((s, x) => s + x, 0);
    const refRight = sum(idx, refCorrect);
    const refSpend = sum(idx, refCost);
    return {
      relativeQuality: refRight === 0 ? NaN : right / refRight,
      relativeCost: refSpend === 0 ? NaN : cost / refSpend,
      escalationRate: n ? rs.esc.reduce((s, x) => s + x, 0) / n : NaN,
      skipRate: n ? rs.skip.reduce((s, x) => s + x, 0) / n : NaN,
      accuracy: n ? right / n : NaN,
      meanCostUsd: n ? cost / n : NaN,
    };
  };

  /**
   * The fit part's quality estimate less one standard error (of the paired ratio, by the delta
   * method): what orders the candidates. A policy that looks perfect on a few fit rows because it
   * bet on many of them is discounted by its spread, so the order walks from the safe end (close
   * to the reference: little spread) towards the bold one, as fixed-sequence testing needs.
   */
  const safeQuality = (rs: ReturnType<typeof perRow>, idx: readonly number[]): number => {
    const n = idx.length;
    const refRight = sum(idx, refCorrect);
    if (refRight === 0) return NaN;
    const q = rs.correct.reduce((s, x) => s + x, 0) / refRight;
    let ss = 0;
    idx.forEach((i, j) => {
      const d = rs.correct[j]! - q * refCorrect(i);
      ss += d * d;
    });
    return q - (orderZ * Math.sqrt(ss / n / n)) / (refRight / n);
  };
  const orderZ = 1;

  const refOnFit = Uint8Array.from(fit, refCorrect);
  // 1. Every candidate, replayed on the fit part.
  const hasPredictions = (m: number) =>
    input.skippable?.has(m) === true && fit.some((i) => rows[i]!.predicted[m] !== null);
  const candidates: Candidate[] = [];
  for (const ladder of input.ladders) {
    const K = ladder.length;
    const combos = (t: number, s: number) =>
      ladder
        .slice(0, -1)
        .reduce(
          (total, m) =>
            total *
            ((input.alwaysSkip ? 1 : 0) +
              (1 + (hasPredictions(m) ? s : 0)) * (models[m]!.source === null ? 1 : t)),
          1,
        );
    const { tq, sq } = gridSize(
      K <= 2 ? 41 : 21,
      ladder.slice(0, -1).some(hasPredictions) ? 9 : 0,
      combos,
      maxConfigs,
    );
    const options = ladder.map((m, j) => rungOptions(m, j === K - 1, tq, hasPredictions(m) ? sq : 0));
    const pick = new Array<number>(K).fill(0);
    for (;;) {
      const choice: PolicyChoice = {
        thresholds: pick.map((o, j) => options[j]![o]!.threshold),
        skips: pick.map((o, j) => options[j]![o]!.skip),
      };
      // Skipping every rung but the last is that last model alone: keep one of each.
      const allSkipped = K > 1 && choice.skips.slice(0, -1).every((s) => s?.kind === 'always');
      if (!allSkipped || pick.every((o, j) => j === K - 1 || o === 0)) {
        const rs = perRow(ladder, choice, fit);
        candidates.push({
          ladder: [...ladder],
          ...choice,
          fit: figuresOf(rs, fit),
          fitSafe: safeQuality(rs, fit),
          fitCounts: countOutcomes(refOnFit, rs.correct),
        });
      }
      let d = 0;
      while (d < K && ++pick[d]! >= options[d]!.length) pick[d++] = 0;
      if (d === K) break;
    }
  }

  // 2. The order, from the fit part alone: its frontier (for each cost, the best point
  //    estimate of quality), dearest first, without the reference alone (the fallback needs no
  //    test) and without policies that cost as much as it.
  const key = (k: number) => candidates[k]!.fitSafe;
  const byCost = candidates
    .map((_, k) => k)
    .sort((a, b) => candidates[a]!.fit.relativeCost - candidates[b]!.fit.relativeCost || key(b) - key(a));
  const frontierIdx: number[] = [];
  let best = -Infinity;
  for (const k of byCost) {
    if (key(k) > best + 1e-12) {
      frontierIdx.push(k);
      best = key(k);
    }
  }
  const isReferenceAlone = (c: Candidate) =>
    c.ladder[c.ladder.length - 1] === R &&
    (c.ladder.length === 1 || c.skips.slice(0, -1).every((s) => s?.kind === 'always'));
  const sequence = [...frontierIdx]
    .reverse()
    .filter((k) => !isReferenceAlone(candidates[k]!) && candidates[k]!.fit.relativeCost < 1);

  // 3. The test part: the fixed-sequence test.
  const uniforms = thinningUniforms(test.length, input.seed);
  const refOnTest = Uint8Array.from(test, refCorrect);
  const testedBy = new Map<number, TestedCandidate>();
  /** The held-out test of a policy whose fit-part counts are `fitCounts`, and its lower bound. */
  const heldOut = (correct: Uint8Array, fitCounts: OutcomeCounts) => {
    const statistic = chooseStatistic(fitCounts, test.length, target, delta);
    const q = heldOutTest(refOnTest, correct, uniforms, fitCounts, target, statistic);
    return {
      ...q,
      pValue: input.pValue ? input.pValue(q, target) : q.pValue,
      lowerBound: qualityLowerBound(
        (t) => heldOutTest(refOnTest, correct, uniforms, fitCounts, t, q.statistic).pValue,
        1 - delta,
      ),
    };
  };
  const testOf = (c: Candidate): TestedCandidate['test'] => {
    const rs = perRow(c.ladder, c, test);
    return { ...figuresOf(rs, test), ...heldOut(rs.correct, c.fitCounts) };
  };
  const steps = fixedSequenceTest(
    sequence,
    (k) => {
      const t = testOf(candidates[k]!);
      testedBy.set(k, { ...candidates[k]!, test: t, accepted: false });
      return t.pValue;
    },
    delta,
  );
  for (const s of steps) testedBy.get(s.candidate)!.accepted = s.rejected;
  const tested = steps.map((s) => testedBy.get(s.candidate)!);
  const accepted = tested.filter((t) => t.accepted);
  // Any accepted policy keeps the target (simultaneously): deploy the cheapest, by the estimate
  // from every row (fit and test), so the choice among accepted ones uses all the data.
  const allRows = [...fit, ...test];
  const allCost = (c: Candidate) => figuresOf(perRow(c.ladder, c, allRows), allRows).relativeCost;
  const cheapest = accepted
    .map((t) => ({ t, cost: allCost(t) }))
    .sort((a, b) => a.cost - b.cost || b.t.fit.relativeQuality - a.t.fit.relativeQuality)[0]?.t;

  /** A candidate's test-part figures with descriptive bootstrap intervals (at 1 - delta). */
  const describe = (c: Candidate, accepted: boolean): ChosenPolicy => {
    const rs = perRow(c.ladder, c, test);
    const boot = new PairedBootstrap(test.length, input.resamples ?? 1000, input.seed);
    const refSums = boot.sums(refOnTest);
    const refCostSums = boot.sums(Float64Array.from(test, refCost));
    const relCost = boot.sums(rs.cost).map((x, b) => x / refCostSums[b]!);
    const level = 1 - delta;
    return {
      ...c,
      test: testedBy.get(candidates.indexOf(c))?.test ?? testOf(c),
      accepted,
      intervals: {
        relativeQuality: percentileInterval(boot.ratios(rs.correct, refOnTest, refSums), level),
        relativeCost: percentileInterval(relCost, level),
        savings: percentileInterval(
          relCost.map((x) => 1 - x),
          level,
        ),
        escalationRate: percentileInterval(
          boot.sums(rs.esc).map((x) => x / test.length),
          level,
        ),
      },
    };
  };
  const chosen = cheapest ? describe(cheapest, true) : null;
  // What is served when nothing is accepted: the reference alone (in a fixed ladder, every rung
  // but the last skipped, so a task pointing to the artefact anyway behaves as recommended).
  const fixedLadder = input.alwaysSkip && input.ladders.length === 1 ? input.ladders[0]! : null;
  const fallbackCandidate: Candidate =
    (fixedLadder
      ? candidates.find(
          (c) =>
            c.ladder.length === fixedLadder.length &&
            c.ladder.length > 1 &&
            c.skips.slice(0, -1).every((k) => k?.kind === 'always'),
        )
      : candidates.find((c) => c.ladder.length === 1 && c.ladder[0] === R)) ??
    ({
      ladder: [R],
      thresholds: [null],
      skips: [null],
      fit: figuresOf(perRow([R], { thresholds: [null], skips: [null] }, fit), fit),
      fitSafe: 1,
      fitCounts: countOutcomes(refOnFit, refOnFit),
    } satisfies Candidate);
  const fallback = describe(fallbackCandidate, false);
  const frontierTest = frontierIdx.map((k) => testOf(candidates[k]!));

  // Descriptive figures: each model alone, the reference alone, the point-estimate baseline.
  const none: PolicyChoice = { thresholds: [null], skips: [null] };
  const alone = models.map((_, m) => {
    const rsTest = perRow([m], none, test);
    const rsFit = perRow([m], none, fit);
    return {
      model: m,
      fit: figuresOf(rsFit, fit),
      test: {
        ...figuresOf(rsTest, test),
        ...heldOut(rsTest.correct, countOutcomes(refOnFit, rsFit.correct)),
      },
    };
  });
  const reference = { test: alone[R]!.test as PolicyFigures, fit: alone[R]!.fit };
  // The point estimate's choice: the cheapest policy whose fit-part estimate reaches the target,
  // with its figures on every row.
  const pe =
    byCost.map((k) => candidates[k]!).find((c) => c.fit.relativeQuality >= target) ??
    ({
      ladder: [R],
      ...none,
      fit: alone[R]!.fit,
      fitSafe: 1,
      fitCounts: countOutcomes(refOnFit, refOnFit),
    } satisfies Candidate);
  const pointEstimate = { ...pe, all: figuresOf(perRow(pe.ladder, pe, allRows), allRows) };

  return {
    candidates,
    frontier: frontierIdx.map((k) => candidates[k]!),
    sequence,
    steps,
    tested,
    chosen,
    fallback,
    frontierTest,
    alone,
    reference,
    pointEstimate,
    grid: { ladders: input.ladders.length, policies: candidates.length },
  };
}
