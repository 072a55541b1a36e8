/**
 * bench/routing's run of one labelled set: its model family, its calibration/test splits (seeded),
 * every method fitted on the calibration part and replayed on the test part, and the results over
 * the splits. The policies replay through the same code the workflow runs (see bench/routing.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { classifiersOf, stampVersions } from '../../src/request/config-file/artefact-file';
import { LabelledDataError, readLabelledData } from '../../src/tools/calibrate/labelled-data';
import {
  fitCascadeCalibration,
  type FitResult,
  type LabelledRow,
  policyOfArtefact,
} from '../../src/tools/calibrate/fit';
import { apgr, cpt, routerCurve } from '../../src/tools/calibrate/metrics';
import { replayRequest, type RungPolicy } from '../../src/tools/calibrate/simulate';
import { trainClassifier } from '../../src/tools/calibrate/train-classifier';
import { compileClassifier, predictWithClassifier } from '../../src/request/router/classifier';
import { decide } from '../../src/request/router/decide';
import {
  DEFAULT_HASHING,
  promptFeatures,
  ruleComplexity,
  structuralFeatures,
} from '../../src/request/router/features';
import { seededRandom, shuffledIndices } from '../../src/request/router/random';
import { legacyBoundedFit } from './legacy-bounded';
import type { RoutingOptions } from './routing-options';
import { pointEstimateChoices, policyWith, sameChoice } from './routing-policies';
import {
  BOUNDED,
  type BenchResult,
  LTT,
  LTT2,
  marginMethod,
  PE,
  type RouterFigures,
} from './routing-results';
import { mean } from './stats';

/** Model families of ../shared/data: every model cheapest first (the last the reference), and the fixed two-rung ladder. */
const FAMILIES: { models: string[]; twoRung: [string, string] }[] = [
  {
    models: ['llama3.2-1b', 'llama3.2-3b', 'llama3.1-8b', 'llama3.1-70b', 'llama3.1-405b'],
    twoRung: ['llama3.1-8b', 'llama3.1-405b'],
  },
  {
    models: ['gpt-4o-mini', 'qwen2.5-32b-coder-instruct', 'qwen2.5-72b-instruct', 'gpt-4o'],
    twoRung: ['gpt-4o-mini', 'gpt-4o'],
  },
  {
    models: ['mixtral-8x7b-instruct', 'gpt-4-1106-preview'],
    twoRung: ['mixtral-8x7b-instruct', 'gpt-4-1106-preview'],
  },
];

/** Model names of a file's first row. */
function modelsOf(file: string): string[] {
  const first = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.trim() !== '');
  if (!first) return [];
  try {
    return Object.keys((JSON.parse(first) as { models?: object }).models ?? {});
  } catch {
    return [];
  }
}

interface Replayed {
  relativeQuality: number;
  relativeCost: number;
  escalationRate: number;
  skipRate: number;
}

/** A fitted policy over a ladder (names), and how it predicts for a test row. */
interface Fitted {
  ladder: string[];
  policy: RungPolicy[];
  predict: (row: LabelledRow) => (number | null)[];
}

function replayOn(f: Fitted, test: readonly LabelledRow[], reference: string): Replayed {
  let right = 0;
  let refRight = 0;
  let cost = 0;
  let refCost = 0;
  let escalated = 0;
  let skipped = 0;
  for (const r of test) {
    const res = replayRequest(f.policy, {
      outcomes: f.ladder.map((m) => r.outcomes[m]!),
      predicted: f.predict(r),
    });
    if (res.correct) right++;
    if (r.outcomes[reference]!.correct) refRight++;
    cost += res.costUsd;
    refCost += r.outcomes[reference]!.answerCostUsd;
    if (res.escalated) escalated++;
    if (res.skipped > 0) skipped++;
  }
  return {
    relativeQuality: refRight ? right / refRight : NaN,
    relativeCost: refCost ? cost / refCost : NaN,
    escalationRate: escalated / test.length,
    skipRate: skipped / test.length,
  };
}

/** The artefact's policy, with the classify activity's own decision for its predictions. */
function fittedOf(fit: FitResult): Fitted {
  const artefact = stampVersions(fit.artefact);
  const classifiers = classifiersOf(artefact);
  return {
    ladder: artefact.ladder,
    policy: policyOfArtefact(artefact),
    predict: (r) => {
      if (!artefact.classifier) return artefact.ladder.map(() => null);
      const d = decide(
        {
          task: r.task,
          messages: r.messages,
          classifier: { version: artefact.classifier.version, calibrationVersion: artefact.version },
        },
        classifiers,
      );
      return d.predicted ?? artefact.ladder.map(() => null);
    },
  };
}

function routerMetrics(
  score: number[],
  test: readonly LabelledRow[],
  small: string,
  large: string,
): RouterFigures {
  const weak = test.map((r) => r.outcomes[small]!.correct);
  const strong = test.map((r) => r.outcomes[large]!.correct);
  const wa = weak.filter(Boolean).length / weak.length;
  const sa = strong.filter(Boolean).length / strong.length;
  const curve = routerCurve(score, weak, strong);
  return { apgr: apgr(curve, wa, sa), cpt50: cpt(curve, 0.5, wa, sa), cpt80: cpt(curve, 0.8, wa, sa) };
}

interface SplitOptions {
  candidates: string[];
  twoRung: string[];
  target: number;
  confidence: number;
  seed: number;
  resamples: number;
  classifier: boolean;
  methods: Set<string>;
  margins: number[];
  maxRungs: number;
  fitShare: number;
}

interface SplitOutcome {
  replayed: Map<string, Replayed>;
  chosen: Map<string, string>;
  router?: Record<string, RouterFigures>;
  warnings: string[];
}

function split(rows: LabelledRow[], share: number, seed: number): [LabelledRow[], LabelledRow[]] {
  const order = shuffledIndices(rows.length, seed);
  const k = Math.round(rows.length * share);
  return [order.slice(0, k).map((i) => rows[i]!), order.slice(k).map((i) => rows[i]!)];
}

/** n rows drawn with replacement (the set as the population; n its size unless given), seeded. */
function resample(rows: LabelledRow[], seed: number, n = rows.length): LabelledRow[] {
  const rnd = seededRandom((seed * 2654435761) ^ 0x2545f491);
  return Array.from({ length: n }, () => rows[Math.floor(rnd() * rows.length)]!);
}

/** The ladder a guaranteed fit serves (`a>b>c`, rungs always skipped left out), or the static model it chose. */
function describeChoice(fit: FitResult): string {
  const a = fit.artefact;
  const served = a.rungs.filter((r, i) => i === a.rungs.length - 1 || r.skip?.kind !== 'always');
  return a.recommendation.route === 'static'
    ? `static ${a.recommendation.model}`
    : served.map((r) => r.model).join('>');
}

/** ltt (the ladder chosen among the family) and ltt-2rung (the two rungs), under the guarantee; the ltt fit, for its classifier. */
function replayGuaranteed(
  cal: LabelledRow[],
  test: LabelledRow[],
  o: SplitOptions,
  reference: string,
  out: Pick<SplitOutcome, 'replayed' | 'chosen'>,
): FitResult | null {
  const common = {
    target: o.target,
    confidence: o.confidence,
    seed: o.seed,
    classifier: o.classifier,
    fitShare: o.fitShare,
    resamples: 200,
  };
  let lttFit: FitResult | null = null;
  if (o.methods.has(LTT)) {
    lttFit = fitCascadeCalibration(cal, { ...common, candidates: o.candidates, maxRungs: o.maxRungs });
    out.replayed.set(LTT, replayOn(fittedOf(lttFit), test, reference));
    out.chosen.set(LTT, describeChoice(lttFit));
  }
  if (o.methods.has(LTT2)) {
    const fit = fitCascadeCalibration(cal, { ...common, ladder: o.twoRung });
    out.replayed.set(LTT2, replayOn(fittedOf(fit), test, reference));
    out.chosen.set(LTT2, describeChoice(fit));
  }
  return lttFit;
}

/** bounded (the earlier search's bootstrap bound) and point-estimate(+m) (thresholds tuned on its point estimate), on the two rungs. */
function replayLegacy(
  cal: LabelledRow[],
  test: LabelledRow[],
  o: SplitOptions,
  reference: string,
  out: Pick<SplitOutcome, 'replayed' | 'warnings'>,
): void {
  const { replayed } = out;
  const legacy = legacyBoundedFit(cal, o.twoRung, {
    target: o.target,
    confidence: o.confidence,
    seed: o.seed,
    resamples: o.resamples,
    classifier: o.classifier,
  });
  const fitted = (policy: RungPolicy[]): Fitted => ({ ladder: o.twoRung, policy, predict: legacy.predict });
  if (o.methods.has(BOUNDED)) replayed.set(BOUNDED, replayOn(fitted(legacy.policy), test, reference));
  if (o.methods.has(PE)) {
    const targets = [0, ...o.margins].map((m) => Math.round((o.target + m) * 1e9) / 1e9);
    const [own, ...withMargin] = pointEstimateChoices(legacy.policy, legacy.rows, targets);
    const b = legacy.search.baseline;
    if (!sameChoice(own!, b)) {
      out.warnings.push(
        `seed ${o.seed}: the bench's point-estimate tuning does not reproduce search.ts's baseline`,
      );
    }
    replayed.set(PE, replayOn(fitted(policyWith(legacy.policy, own!)), test, reference));
    o.margins.forEach((m, k) =>
      replayed.set(
        marginMethod(m),
        replayOn(fitted(policyWith(legacy.policy, withMargin[k]!)), test, reference),
      ),
    );
  }
}

/**
 * Pre-route only (no confidences): RouteLLM's router metrics of the classifier's score, trained on
 * the whole calibration part and as the guarantee deploys it (the ltt fit's), beside rules-v1 and
 * a random router; undefined on sets with confidences.
 */
function preRouteMetrics(
  cal: LabelledRow[],
  test: LabelledRow[],
  o: SplitOptions,
  reference: string,
  lttFit: FitResult | null,
): SplitOutcome['router'] {
  const small = o.twoRung[0]!;
  if (!(cal.every((r) => r.outcomes[small]!.raw === null) && o.classifier)) return undefined;
  const hashing = DEFAULT_HASHING;
  // The classifier trained on the whole calibration part, with fit.ts's soft target ((1 + the
  // small model right - the reference right) / 2).
  const trained = trainClassifier(
    cal.map((r) => promptFeatures(r.messages, hashing)),
    {
      [small]: cal.map(
        (r) => (1 + Number(r.outcomes[small]!.correct) - Number(r.outcomes[reference]!.correct)) / 2,
      ),
    },
    cal.map((r) => r.task),
    { hashing, seed: o.seed },
  );
  const score = (model: ReturnType<typeof compileClassifier>) =>
    test.map(
      (r) => 1 - (predictWithClassifier(model, promptFeatures(r.messages, hashing), [small]).rungs[0] ?? 0.5),
    );
  const router: Record<string, RouterFigures> = {
    classifier: routerMetrics(score(compileClassifier(trained.model)), test, small, reference),
  };
  if (lttFit?.classifier) {
    router['classifier (fit part)'] = routerMetrics(
      score(compileClassifier(lttFit.classifier.model)),
      test,
      small,
      reference,
    );
  }
  router['rules-v1'] = routerMetrics(
    test.map((r) => ruleComplexity(structuralFeatures(r.messages))),
    test,
    small,
    reference,
  );
  const rnd = seededRandom(o.seed * 7919);
  router.random = routerMetrics(
    test.map(() => rnd()),
    test,
    small,
    reference,
  );
  return router;
}

function runSplit(cal: LabelledRow[], test: LabelledRow[], o: SplitOptions): SplitOutcome {
  const reference = o.candidates[o.candidates.length - 1]!;
  const replayed = new Map<string, Replayed>();
  const chosen = new Map<string, string>();
  const warnings: string[] = [];
  const lttFit = replayGuaranteed(cal, test, o, reference, { replayed, chosen });
  if (o.methods.has(BOUNDED) || o.methods.has(PE))
    replayLegacy(cal, test, o, reference, { replayed, warnings });
  const router = preRouteMetrics(cal, test, o, reference, lttFit);
  return { replayed, chosen, router, warnings };
}

/** The set's family: --candidates and --ladder, or the first of FAMILIES whose models the file has; null (said on stderr) when none fits. */
function familyOf(file: string, o: RoutingOptions): { candidates: string[]; twoRung: string[] } | null {
  const models = modelsOf(file);
  const family = o.candidates
    ? { models: o.candidates, twoRung: o.ladder ?? [] }
    : FAMILIES.find((fam) => fam.models.every((m) => models.includes(m)));
  if (!family || !family.models.every((m) => models.includes(m))) {
    process.stderr.write(`${file}: no family of models fits (${models.join(', ')}); skipped\n`);
    return null;
  }
  const candidates = family.models;
  const twoRung =
    o.ladder !== undefined
      ? o.ladder
      : family.twoRung.length === 2
        ? family.twoRung
        : [candidates[0]!, candidates[candidates.length - 1]!];
  return { candidates, twoRung };
}

/** The set's rows, and its --test file's; the exit code 2 (said on stderr) when one cannot be read. */
function readSet(
  file: string,
  testFile: string | undefined,
  o: RoutingOptions,
  candidates: string[],
  warnings: Set<string>,
): { all: LabelledRow[]; testAll: LabelledRow[] | null } | number {
  try {
    const data = readLabelledData([file], candidates, o.prices, '--candidates');
    data.warnings.forEach((w) => warnings.add(w));
    const all = data.rows;
    const testAll = testFile ? readLabelledData([testFile], candidates, o.prices).rows : null;
    return { all, testAll };
  } catch (err) {
    if (err instanceof LabelledDataError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** What a set's results share: the set, its family, the rows of a split. */
interface SetFacts {
  set: string;
  candidates: string[];
  twoRung: string[];
  calibrationRows: number;
  testRows: number;
  preRoute: boolean;
}

/** A method's result over the splits. */
function resultOf(method: string, outcomes: SplitOutcome[], f: SetFacts, o: RoutingOptions): BenchResult {
  const pick = (o: SplitOutcome) => o.replayed.get(method)!;
  const { target } = o;
  const res: BenchResult = {
    set: f.set,
    candidates: f.candidates,
    twoRung: f.twoRung,
    method,
    ...(method.startsWith(`${PE}+`) ? { margin: o.margins.find((m) => marginMethod(m) === method) } : {}),
    target,
    confidence: o.confidence,
    calibrationRows: f.calibrationRows,
    testRows: f.testRows,
    preRoute: f.preRoute,
    repeats: {
      splits: outcomes.length,
      held: outcomes.filter((o) => pick(o).relativeQuality >= target).length,
      meanRelativeQuality: mean(outcomes.map((o) => pick(o).relativeQuality)),
      meanRelativeCost: mean(outcomes.map((o) => pick(o).relativeCost)),
      meanEscalationRate: mean(outcomes.map((o) => pick(o).escalationRate)),
      meanSkipRate: mean(outcomes.map((o) => pick(o).skipRate)),
    },
  };
  if (outcomes[0]!.chosen.has(method)) {
    const counts: Record<string, number> = {};
    for (const o of outcomes) {
      const c = o.chosen.get(method)!;
      counts[c] = (counts[c] ?? 0) + 1;
    }
    res.chosen = counts;
  }
  if (method === LTT && outcomes[0]!.router) {
    res.router = {};
    for (const k of Object.keys(outcomes[0]!.router)) {
      const of = outcomes.map((o) => o.router![k]).filter((x): x is RouterFigures => x !== undefined);
      res.router[k] = {
        apgr: mean(of.map((x) => x.apgr)),
        cpt50: mean(of.map((x) => x.cpt50)),
        cpt80: mean(of.map((x) => x.cpt80)),
      };
    }
  }
  return res;
}

/**
 * One set: every method over the splits (seeds seed0..seed0+repeats-1), a result per method; none
 * when no family fits (skipped); the exit code 2 when the set cannot be read. Warnings are added
 * to `warnings`; progress goes to stderr, timed from `started`.
 */
export function runSet(
  o: RoutingOptions,
  file: string,
  testFile: string | undefined,
  warnings: Set<string>,
  started: number,
): BenchResult[] | number {
  const family = familyOf(file, o);
  if (!family) return [];
  const { candidates, twoRung } = family;
  const set = path.basename(file, '.jsonl');
  const data = readSet(file, testFile, o, candidates, warnings);
  if (typeof data === 'number') return data;
  const { all, testAll } = data;
  const outcomes: SplitOutcome[] = [];
  let calRows = 0;
  let testRows = 0;
  for (let r = 0; r < o.repeats; r++) {
    const seed = o.seed0 + r;
    const [cal, test] = testAll
      ? [all, testAll]
      : o.population
        ? [resample(all, seed, o.populationRows ?? all.length), all]
        : split(all, o.share, seed);
    calRows = cal.length;
    testRows = test.length;
    const outcome = runSplit(cal, test, {
      candidates,
      twoRung,
      target: o.target,
      confidence: o.confidence,
      seed,
      resamples: o.resamples,
      classifier: o.classifier,
      methods: o.methods,
      margins: o.margins,
      maxRungs: o.maxRungs,
      fitShare: o.fitShare,
    });
    outcomes.push(outcome);
    outcome.warnings.forEach((w) => warnings.add(`${set}: ${w}`));
  }
  process.stderr.write(
    `${set}: ${o.repeats} split(s) done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  const preRoute = all.every((r) => r.outcomes[twoRung[0]!]!.raw === null);
  const facts = { set, candidates, twoRung, calibrationRows: calRows, testRows, preRoute };
  return [...outcomes[0]!.replayed.keys()].map((method) => resultOf(method, outcomes, facts, o));
}
