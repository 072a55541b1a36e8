/**
 * THE EARLIER SEARCH (format-1 artefacts), kept as the benchmark's reference ("today's bounded
 * policy" in bench/routing.ts): its bound is a percentile bootstrap computed on the same rows that
 * fitted the maps, built the grid and ordered the candidates, so its stated confidence is
 * approximate (bench/README.md measures it). `cascade calibrate` now chooses with the
 * learn-then-test guarantee instead (select.ts, guarantee.ts).
 *
 * Choosing every rung's threshold and the classifier's skip points to minimise expected cost
 * subject to a quality target that holds with a stated confidence.
 *
 * Target: relative quality R = accuracy of what the ladder serves / accuracy of the large (last)
 * model alone, e.g. R >= 0.97. Cost: everything the ladder bills (double costs and self-checks
 * included, see simulate.ts) relative to the large model answering alone.
 *
 * Search: a grid per rung (thresholds at quantiles of the rung's calibrated P(correct) on the
 * calibration rows; skip points at quantiles of the classifier's out-of-fold predictions, plus
 * "never skip" and "always skip"), every combination over the rungs (the grid shrinks for long
 * ladders to stay within `maxConfigs`), each replayed through the workflow's decision code.
 * Candidates are then taken cheapest first; the first whose percentile-bootstrap LOWER BOUND of R
 * (bootstrap.ts) reaches the target is chosen. Skipping every rung but the last (serving the
 * large model alone) always qualifies (R = 1 on every resample), so there is always an answer;
 * when that, or a policy no cheaper than the large model, is the answer, the recommendation is
 * the `static` route. A single model alone (`static`) is also weighed, with the same bound.
 *
 * The baseline the benchmark compares with is the usual practice: one threshold (shared by every
 * checking rung), no classifier, tuned so that the POINT ESTIMATE of R reaches the target.
 */
import type { RungSkip } from '../../request/router/rung-decision';
import type { Recommendation } from '../../request/router/calibration/artefact';
import { PairedBootstrap, percentileInterval, quantileOf } from './bootstrap';
import { gridSize, quantileGrid } from './policy-grid';
import type { PolicyChoice, PolicyFigures, PolicyIntervals } from './policy-grid';
import { calibratedOf, type ReplayRow, replayRequest, type RungPolicy } from './simulate';

export interface SearchInput {
  /** Sources and calibration maps per rung (their threshold and skip are what is searched). */
  rungs: readonly RungPolicy[];
  /** Calibration rows; `predicted` must be out-of-fold classifier predictions (or null). */
  rows: readonly ReplayRow[];
  /** Required relative quality, e.g. 0.97. */
  target: number;
  /** Confidence of the bound, e.g. 0.95. */
  confidence: number;
  resamples?: number;
  seed?: number;
  /** Consider skip points from the classifier's predictions (else only never/always). */
  useClassifier?: boolean;
  /** Upper limit on policies replayed (the per-rung grids shrink for long ladders). */
  maxConfigs?: number;
  /**
   * `fixed-sequence` (default): walk the frontier from the safest policy down, stop at the first
   * whose bound fails. `cheapest-bounded`: the cheapest of all policies whose bound clears.
   */
  selection?: 'fixed-sequence' | 'cheapest-bounded';
}

export type { PolicyChoice };

export interface EvaluatedPolicy extends PolicyChoice, PolicyFigures {}

export interface BoundedPolicy extends EvaluatedPolicy {
  /** Percentile-bootstrap lower bound of the relative quality at the search's confidence. */
  lowerBound: number;
}

export interface ChosenPolicy extends BoundedPolicy {
  intervals: PolicyIntervals;
}

export interface StaticOption {
  model: string;
  rung: number;
  relativeQuality: number;
  relativeCost: number;
  lowerBound: number;
}

export type { Recommendation };

export interface SearchResult {
  chosen: ChosenPolicy;
  baseline: BoundedPolicy;
  frontier: BoundedPolicy[];
  staticOptions: StaticOption[];
  recommendation: Recommendation;
  rows: number;
  largeAccuracy: number;
  largeOnlyMeanCostUsd: number;
  configsEvaluated: number;
  boundsComputed: number;
  grid: { thresholdQuantiles: number; skipQuantiles: number };
}

const ALWAYS: RungSkip = { kind: 'always' };

interface RungOption {
  threshold: number | null;
  skip: RungSkip | null;
}

function rungOptions(
  rung: RungPolicy,
  i: number,
  calibrated: readonly (readonly (number | null)[])[],
  rows: readonly ReplayRow[],
  tq: number,
  sq: number,
  useClassifier: boolean,
): RungOption[] {
  const thresholds: (number | null)[] =
    rung.source === null
      ? [null]
      : quantileGrid(
          calibrated.map((c) => c[i]).filter((p): p is number => p !== null && p !== undefined),
          tq,
        );
  if (thresholds.length === 0) thresholds.push(1);
  const skips: (RungSkip | null)[] = [null];
  if (useClassifier && sq > 0) {
    const preds = rows.map((r) => r.predicted[i]).filter((p): p is number => p !== null && p !== undefined);
    // Skip points strictly inside the predictions' range (the ends are "never" and "always").
    const levels = quantileGrid(preds, sq + 2).slice(1, -1);
    for (const p of levels) skips.push({ kind: 'below', predicted: p });
  }
  const out: RungOption[] = [{ threshold: null, skip: ALWAYS }];
  for (const skip of skips) for (const threshold of thresholds) out.push({ threshold, skip });
  return out;
}

export function searchPolicy(input: SearchInput): SearchResult {
  const { rungs, rows, target, confidence } = input;
  const K = rungs.length;
  const n = rows.length;
  if (K < 2) throw new Error('a ladder needs at least 2 rungs');
  if (n === 0) throw new Error('no calibration rows');
  const resamples = input.resamples ?? 1000;
  const seed = input.seed ?? 1;
  const maxConfigs = input.maxConfigs ?? 60_000;
  const useClassifier = input.useClassifier ?? true;
  const selection = input.selection ?? 'fixed-sequence';
  const hasPredictions = rows.some((r) => r.predicted.some((p) => p !== null && p !== undefined));

  const calibrated = rows.map((r) => calibratedOf(rungs, r));
  const large = rows.map((r) => (r.outcomes[K - 1]!.correct ? 1 : 0));
  const largeCost = rows.map((r) => r.outcomes[K - 1]!.answerCostUsd);
  const largeCorrect = large.reduce<number>((s, x) => s + x, 0);
  const largeCostSum = largeCost.reduce((s, x) => s + x, 0);
  const boot = new PairedBootstrap(n, resamples, seed);
  const largeSums = boot.sums(large);
  const largeCostSums = boot.sums(largeCost);

  // Grid sizes: shrink until the number of combinations fits.
  const combos = (t: number, s: number) => {
    let total = 1;
    for (let i = 0; i < K - 1; i++) total *= 1 + (s + 1) * (rungs[i]!.source === null ? 1 : t);
    return total;
  };
  const { tq, sq } = gridSize(K === 2 ? 41 : 21, useClassifier && hasPredictions ? 9 : 0, combos, maxConfigs);
  const options = rungs
    .slice(0, -1)
    .map((r, i) => rungOptions(r, i, calibrated, rows, tq, sq, useClassifier && hasPredictions));

  const policyOf = (choice: PolicyChoice): RungPolicy[] =>
    rungs.map((r, i) => ({ ...r, threshold: choice.thresholds[i] ?? null, skip: choice.skips[i] ?? null }));

  const evaluate = (choice: PolicyChoice): EvaluatedPolicy => {
    const policy = policyOf(choice);
    let correct = 0;
    let cost = 0;
    let escalated = 0;
    let skipped = 0;
    for (let r = 0; r < n; r++) {
      const res = replayRequest(policy, rows[r]!, calibrated[r]!);
      if (res.correct) correct++;
      cost += res.costUsd;
      if (res.escalated) escalated++;
      if (res.skipped > 0) skipped++;
    }
    return {
      ...choice,
      relativeQuality: largeCorrect === 0 ? NaN : correct / largeCorrect,
      relativeCost: largeCostSum === 0 ? NaN : cost / largeCostSum,
      escalationRate: escalated / n,
      skipRate: skipped / n,
      accuracy: correct / n,
      meanCostUsd: cost / n,
    };
  };

  const perRow = (choice: PolicyChoice) => {
    const policy = policyOf(choice);
    const c = new Float64Array(n);
    const cost = new Float64Array(n);
    const esc = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const res = replayRequest(policy, rows[r]!, calibrated[r]!);
      c[r] = res.correct ? 1 : 0;
      cost[r] = res.costUsd;
      esc[r] = res.escalated ? 1 : 0;
    }
    return { c, cost, esc };
  };

  const boundCache = new Map<string, number>();
  let boundsComputed = 0;
  const lowerBoundOfCorrect = (c: Float64Array): number => {
    const key = Array.from(c).join('');
    const hit = boundCache.get(key);
    if (hit !== undefined) return hit;
    boundsComputed++;
    const lb = quantileOf(boot.ratios(c, large, largeSums), 1 - confidence);
    boundCache.set(key, lb);
    return lb;
  };
  const withBound = (p: EvaluatedPolicy): BoundedPolicy => ({
    ...p,
    lowerBound: lowerBoundOfCorrect(perRow(p).c),
  });

  // Every combination of the rungs' options.
  const evaluated: EvaluatedPolicy[] = [];
  const pick = new Array<number>(K - 1).fill(0);
  for (;;) {
    const choice: PolicyChoice = { thresholds: [], skips: [] };
    for (let i = 0; i < K - 1; i++) {
      const o = options[i]![pick[i]!]!;
      choice.thresholds.push(o.threshold);
      choice.skips.push(o.skip);
    }
    choice.thresholds.push(null);
    choice.skips.push(null);
    evaluated.push(evaluate(choice));
    let d = 0;
    while (d < K - 1 && ++pick[d]! >= options[d]!.length) pick[d++] = 0;
    if (d === K - 1) break;
  }

  const byCost = [...evaluated].sort(
    (a, b) => a.relativeCost - b.relativeCost || b.relativeQuality - a.relativeQuality,
  );
  // The frontier: for each cost, the best point estimate (cheapest first).
  const frontierAll: EvaluatedPolicy[] = [];
  let bestQ = -Infinity;
  for (const p of byCost) {
    if (p.relativeQuality > bestQ + 1e-12) {
      frontierAll.push(p);
      bestQ = p.relativeQuality;
    }
  }
  let chosenBounded: BoundedPolicy | null = null;
  if (selection === 'cheapest-bounded') {
    // The cheapest policy of all whose lower bound reaches the target.
    for (const p of byCost) {
      // The percentile bound sits below the point estimate: a point estimate under the target
      // cannot clear it (and is not worth a bootstrap).
      if (!(p.relativeQuality >= target)) continue;
      const bounded = withBound(p);
      if (bounded.lowerBound >= target) {
        chosenBounded = bounded;
        break;
      }
    }
  } else {
    // Fixed-sequence testing along the frontier, from the safest (dearest) policy down: each
    // policy whose bound clears the target replaces the previous choice; the first that fails
    // ends the walk. Testing in a fixed order and stopping at the first failure keeps the
    // chance of ending on a policy below the target near (1 - confidence), where taking the
    // cheapest of many policies that each passed would multiply it.
    for (let k = frontierAll.length - 1; k >= 0; k--) {
      const bounded = withBound(frontierAll[k]!);
      if (bounded.lowerBound < target) break;
      chosenBounded = bounded;
    }
  }
  if (!chosenBounded) {
    // Unreachable in practice (all-skip always qualifies); guard anyway.
    chosenBounded = withBound(
      evaluate({
        thresholds: rungs.map(() => null),
        skips: rungs.map((_, i) => (i < K - 1 ? ALWAYS : null)),
      }),
    );
  }
  const rowsOfChosen = perRow(chosenBounded);
  const costSums = boot.sums(rowsOfChosen.cost);
  const relCostSamples = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) relCostSamples[b] = costSums[b]! / largeCostSums[b]!;
  const savingsSamples = relCostSamples.map((x) => 1 - x);
  const escSamples = boot.sums(rowsOfChosen.esc).map((x) => x / n);
  const chosen: ChosenPolicy = {
    ...chosenBounded,
    intervals: {
      relativeQuality: percentileInterval(boot.ratios(rowsOfChosen.c, large, largeSums), confidence),
      relativeCost: percentileInterval(relCostSamples, confidence),
      savings: percentileInterval(savingsSamples, confidence),
      escalationRate: percentileInterval(escSamples, confidence),
    },
  };

  // Baseline: one threshold for every checking rung, no classifier, point estimate only. A
  // ladder with no confidence at all (pre-route only) has no threshold: its baseline is the
  // cheapest of the same skip points whose point estimate reaches the target.
  const checking = rungs.slice(0, -1).map((r) => r.source !== null);
  const preRouteOnly = !checking.some(Boolean);
  const pooled = calibrated.flatMap((c) =>
    c.slice(0, -1).filter((p, i): p is number => checking[i]! && p !== null),
  );
  const baselineGrid = preRouteOnly ? [] : [...quantileGrid(pooled, 41), Infinity];
  let baselinePoint: EvaluatedPolicy | null = preRouteOnly
    ? (byCost.find((p) => p.relativeQuality >= target) ?? null)
    : null;
  for (const t of baselineGrid) {
    const p = evaluate({
      thresholds: rungs.map((_, i) => (i < K - 1 && checking[i] ? t : null)),
      skips: rungs.map(() => null),
    });
    if (
      p.relativeQuality >= target &&
      (!baselinePoint ||
        p.relativeCost < baselinePoint.relativeCost ||
        (p.relativeCost === baselinePoint.relativeCost && p.relativeQuality > baselinePoint.relativeQuality))
    ) {
      baselinePoint = p;
    }
  }
  if (!baselinePoint) {
    baselinePoint = evaluate({
      thresholds: rungs.map((_, i) => (i < K - 1 && checking[i] ? Infinity : null)),
      skips: rungs.map(() => null),
    });
  }
  const baseline = withBound(baselinePoint);

  // The cost/quality frontier (point estimates), thinned for display, each with its bound.
  const maxPoints = 40;
  const frontierPoints =
    frontierAll.length <= maxPoints
      ? frontierAll
      : Array.from(
          { length: maxPoints },
          (_, k) => frontierAll[Math.round((k * (frontierAll.length - 1)) / (maxPoints - 1))]!,
        );
  const frontier = [...new Set(frontierPoints)].map(withBound);

  // A single model alone, with the same bound.
  const staticOptions: StaticOption[] = rungs.map((r, k) => {
    const c = Float64Array.from(rows, (row) => (row.outcomes[k]!.correct ? 1 : 0));
    const cost = rows.reduce((s, row) => s + row.outcomes[k]!.answerCostUsd, 0);
    return {
      model: r.model,
      rung: k,
      relativeQuality: largeCorrect === 0 ? NaN : c.reduce((s, x) => s + x, 0) / largeCorrect,
      relativeCost: largeCostSum === 0 ? NaN : cost / largeCostSum,
      lowerBound: k === K - 1 ? 1 : lowerBoundOfCorrect(c),
    };
  });

  return {
    chosen,
    baseline,
    frontier,
    staticOptions,
    recommendation: recommend(chosen, staticOptions, target, confidence, K),
    rows: n,
    largeAccuracy: largeCorrect / n,
    largeOnlyMeanCostUsd: largeCostSum / n,
    configsEvaluated: evaluated.length + baselineGrid.length,
    boundsComputed,
    grid: { thresholdQuantiles: tq, skipQuantiles: sq },
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function recommend(
  chosen: ChosenPolicy,
  statics: StaticOption[],
  target: number,
  confidence: number,
  K: number,
): Recommendation {
  const large = statics[K - 1]!;
  const cheaperStatic = statics
    .slice(0, -1)
    .filter((s) => s.lowerBound >= target && s.relativeCost <= chosen.relativeCost)
    .sort((a, b) => a.relativeCost - b.relativeCost)[0];
  if (cheaperStatic) {
    return {
      route: 'static',
      model: cheaperStatic.model,
      reason:
        `${cheaperStatic.model} alone reaches ${pct(target)} of ${large.model}'s accuracy ` +
        `(lower bound ${pct(cheaperStatic.lowerBound)} at ${pct(confidence)} confidence) for ` +
        `${pct(cheaperStatic.relativeCost)} of its cost: no routing needed`,
    };
  }
  const allSkipped = chosen.skips.slice(0, -1).every((s) => s?.kind === 'always');
  if (allSkipped || !(chosen.relativeCost < 1)) {
    return {
      route: 'static',
      model: large.model,
      reason:
        `no policy saves money while keeping ${pct(target)} of ${large.model}'s accuracy at ` +
        `${pct(confidence)} confidence: serve ${large.model} alone (route static)`,
    };
  }
  return {
    route: 'cascade',
    model: null,
    reason:
      `expected cost ${pct(chosen.relativeCost)} of ${large.model} alone (savings ` +
      `${pct(1 - chosen.relativeCost)}, interval ${pct(chosen.intervals.savings[0])}..${pct(chosen.intervals.savings[1])}), ` +
      `relative quality ${pct(chosen.relativeQuality)} with lower bound ${pct(chosen.lowerBound)} >= ${pct(target)}`,
  };
}
