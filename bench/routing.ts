/**
 * bench/routing: offline replay of recorded outcomes through the SAME policy code the workflow
 * runs (src/router/rung-decision.ts via src/router/calibration/simulate.ts; the classifier's
 * predictions through the classify activity's own `decide`, src/router/decide.ts, on the artefact
 * as a worker loads it), to say whether routing decisions are good: calibrate on one part of a
 * labelled set, replay the other part.
 *
 * Per set, methods fitted on the same calibration part and replayed on the same test part;
 * quality and cost are always relative to the family's largest model (the reference):
 *   ltt                 `cascade calibrate --candidates <the family>`: the ladder (any cheapest-first
 *                       subset of the family, up to --max-rungs, a single cheaper model included),
 *                       thresholds and skip points chosen under the learn-then-test guarantee
 *                       (src/router/calibration/fit.ts, select.ts, guarantee.ts): the new default;
 *   ltt-2rung           the same guarantee on the fixed two-rung ladder (`--ladder small,large`);
 *   bounded             the earlier `cascade calibrate` on the two-rung ladder: percentile-bootstrap
 *                       bound computed on the rows it was fitted on (bench/lib/legacy-bounded.ts);
 *   point-estimate      the usual practice on the two-rung ladder: one threshold tuned so that the
 *                       point estimate of relative quality reaches the target;
 *   point-estimate+m    the same tuned to target + m (m in points, --margins).
 * Reported on the test part: relative quality, relative cost (double costs and self-checks
 * included), escalation and skip rates, whether the target held; over --repeats R splits (seeds
 * seed..seed+R-1), how often it held and the mean cost. For sets without confidences (RouteLLM:
 * only `correct` per model) the policies are the pre-route classifier's, and RouteLLM's router
 * metrics of the classifier's score on the test part are added: APGR, CPT(50%), CPT(80%), for the
 * classifier trained on the whole calibration part (`classifier`) and for the one the guarantee
 * deploys (trained on the fit part only: `classifier (fit part)`), beside rules-v1 and a random
 * router.
 *
 *   npm run bench:routing -- --repeats 20                   # every cascades set + both RouteLLM sets
 *   npm run bench:routing -- --train a.jsonl --test b.jsonl --candidates a,b,c --ladder a,c [--json]
 *   npm run bench:routing -- --methods ltt,point-estimate --margins none
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { classifiersOf, stampVersions } from '../src/calibration/artefact-file';
import {
  LabelledDataError,
  parsePrices,
  type PriceBook,
  pricesFromConfig,
  readLabelledData,
} from '../src/calibration/labelled-data';
import { loadConfig } from '../src/config/load';
import {
  DEFAULT_FIT_SHARE,
  DEFAULT_MAX_RUNGS,
  fitCascadeCalibration,
  type FitResult,
  type LabelledRow,
  policyOfArtefact,
} from '../src/router/calibration/fit';
import { apgr, cpt, routerCurve } from '../src/router/calibration/metrics';
import { replayRequest, type RungPolicy } from '../src/router/calibration/simulate';
import { trainClassifier } from '../src/router/calibration/train-classifier';
import { compileClassifier, predictWithClassifier } from '../src/router/classifier';
import { decide } from '../src/router/decide';
import { DEFAULT_HASHING, promptFeatures, ruleComplexity, structuralFeatures } from '../src/router/features';
import { seededRandom, shuffledIndices } from '../src/router/random';
import { legacyBoundedFit } from './lib/legacy-bounded';
import { pointEstimateChoices, policyWith, sameChoice } from './lib/routing-policies';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:routing -- [options]

  --train FILE...        labelled JSONL sets (default: ../shared/data cascades/*.jsonl and routellm/{mmlu,gsm8k}.jsonl)
  --test FILE...         test sets, paired with --train by position (default: a seeded split of each --train set)
  --candidates a,b,c     the family's models, cheapest first, the last the reference (default: by the file's models)
  --ladder a,b           the fixed two-rung ladder (default: the family's; cheapest first)
  --max-rungs N          longest ladder ltt considers (default ${DEFAULT_MAX_RUNGS})
  --fit-share F          share of the calibration part ltt fits on (default ${DEFAULT_FIT_SHARE})
  --target Q             relative quality target (default 0.97)
  --confidence C         1 - delta (default 0.95)
  --split F              calibration share of a split set (default 0.5)
  --population           instead of splitting: calibrate on a sample drawn with replacement from the
                         set (its own size), and measure on the whole set: the set as the population,
                         so 'held' is the guarantee's own event (the target held on the traffic)
  --seed N               first split seed (default 1)
  --repeats R            splits per set (default 1)
  --resamples N          bootstrap resamples of the earlier bounded search (default 1000)
  --config FILE          model prices (default ./cascade.config.yaml); --prices m=IN/OUT,... adds more
  --no-classifier        thresholds only
  --methods M,...        ltt, ltt-2rung, bounded, point-estimate (default all)
  --margins M,...        point-estimate+m margins in relative quality (default 0.01,0.02,0.03; 'none')
  --json                 one JSON document (an array of result objects) on stdout
  -h, --help`;

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

function defaultSets(dataDir: string): string[] {
  const cascades = path.join(dataDir, 'cascades');
  const files = fs.existsSync(cascades)
    ? fs
        .readdirSync(cascades)
        .filter((f) => f.endsWith('.jsonl'))
        .sort()
        .map((f) => path.join(cascades, f))
    : [];
  for (const f of ['routellm/mmlu.jsonl', 'routellm/gsm8k.jsonl']) {
    if (fs.existsSync(path.join(dataDir, f))) files.push(path.join(dataDir, f));
  }
  return files;
}

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

const LTT = 'ltt';
const LTT2 = 'ltt-2rung';
const BOUNDED = 'bounded';
const PE = 'point-estimate';
const marginMethod = (m: number) => `${PE}+${Number((m * 100).toFixed(2))}`;

interface Replayed {
  relativeQuality: number;
  relativeCost: number;
  escalationRate: number;
  skipRate: number;
}

interface RouterFigures {
  apgr: number;
  cpt50: number;
  cpt80: number;
}

export interface BenchResult {
  set: string;
  /** The family (candidates), cheapest first; the last is the reference. */
  candidates: string[];
  twoRung: string[];
  method: string;
  margin?: number;
  target: number;
  confidence: number;
  calibrationRows: number;
  testRows: number;
  preRoute: boolean;
  repeats: {
    splits: number;
    held: number;
    meanRelativeQuality: number;
    meanRelativeCost: number;
    meanEscalationRate: number;
    meanSkipRate: number;
  };
  /** ltt methods: the ladders chosen (how often each), and the recommendations. */
  chosen?: Record<string, number>;
  /** RouteLLM-shaped sets: router metrics of the scores on the test part (means over splits). */
  router?: Record<string, RouterFigures>;
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

function runSplit(cal: LabelledRow[], test: LabelledRow[], o: SplitOptions): SplitOutcome {
  const reference = o.candidates[o.candidates.length - 1]!;
  const replayed = new Map<string, Replayed>();
  const chosen = new Map<string, string>();
  const warnings: string[] = [];
  const common = {
    target: o.target,
    confidence: o.confidence,
    seed: o.seed,
    classifier: o.classifier,
    fitShare: o.fitShare,
    resamples: 200,
  };
  const describeChoice = (fit: FitResult) => {
    const a = fit.artefact;
    const served = a.rungs.filter((r, i) => i === a.rungs.length - 1 || r.skip?.kind !== 'always');
    return a.recommendation.route === 'static'
      ? `static ${a.recommendation.model}`
      : served.map((r) => r.model).join('>');
  };
  let lttFit: FitResult | null = null;
  if (o.methods.has(LTT)) {
    lttFit = fitCascadeCalibration(cal, { ...common, candidates: o.candidates, maxRungs: o.maxRungs });
    replayed.set(LTT, replayOn(fittedOf(lttFit), test, reference));
    chosen.set(LTT, describeChoice(lttFit));
  }
  if (o.methods.has(LTT2)) {
    const fit = fitCascadeCalibration(cal, { ...common, ladder: o.twoRung });
    replayed.set(LTT2, replayOn(fittedOf(fit), test, reference));
    chosen.set(LTT2, describeChoice(fit));
  }
  if (o.methods.has(BOUNDED) || o.methods.has(PE)) {
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
        warnings.push(
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
  // Pre-route only (no confidences): the classifier's router metrics.
  const small = o.twoRung[0]!;
  let router: SplitOutcome['router'];
  if (cal.every((r) => r.outcomes[small]!.raw === null) && o.classifier) {
    const hashing = DEFAULT_HASHING;
    // The classifier trained on the whole calibration part, with fit.ts's target (is the small
    // model's answer as good as the reference's?).
    const trained = trainClassifier(
      cal.map((r) => promptFeatures(r.messages, hashing)),
      { [small]: cal.map((r) => r.outcomes[small]!.correct || !r.outcomes[reference]!.correct) },
      cal.map((r) => r.task),
      { hashing, seed: o.seed },
    );
    const score = (model: ReturnType<typeof compileClassifier>) =>
      test.map(
        (r) =>
          1 - (predictWithClassifier(model, promptFeatures(r.messages, hashing), [small]).rungs[0] ?? 0.5),
      );
    router = { classifier: routerMetrics(score(compileClassifier(trained.model)), test, small, reference) };
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
  }
  return { replayed, chosen, router, warnings };
}

function split(rows: LabelledRow[], share: number, seed: number): [LabelledRow[], LabelledRow[]] {
  const order = shuffledIndices(rows.length, seed);
  const k = Math.round(rows.length * share);
  return [order.slice(0, k).map((i) => rows[i]!), order.slice(k).map((i) => rows[i]!)];
}

/** n rows drawn with replacement (the set as the population), seeded. */
function resample(rows: LabelledRow[], seed: number): LabelledRow[] {
  const rnd = seededRandom((seed * 2654435761) ^ 0x2545f491);
  return rows.map(() => rows[Math.floor(rnd() * rows.length)]!);
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN;
}

/** `--train a b c` -> `--train a --train b --train c` (parseArgs wants a flag per value). */
function expandLists(argv: string[], lists: string[]): string[] {
  const out: string[] = [];
  let current: string | null = null;
  for (const arg of argv) {
    if (arg.startsWith('-')) {
      current = lists.includes(arg) ? arg : null;
      if (current === null) out.push(arg);
      continue;
    }
    if (current !== null) out.push(current, arg);
    else out.push(arg);
  }
  return out;
}

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function main(): number {
  const { values } = parseArgs({
    args: expandLists(process.argv.slice(2), ['--train', '--test']),
    options: {
      train: { type: 'string', multiple: true },
      test: { type: 'string', multiple: true },
      candidates: { type: 'string' },
      ladder: { type: 'string' },
      'max-rungs': { type: 'string', default: String(DEFAULT_MAX_RUNGS) },
      'fit-share': { type: 'string', default: String(DEFAULT_FIT_SHARE) },
      target: { type: 'string', default: '0.97' },
      confidence: { type: 'string', default: '0.95' },
      split: { type: 'string', default: '0.5' },
      population: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      repeats: { type: 'string', default: '1' },
      resamples: { type: 'string', default: '1000' },
      config: { type: 'string' },
      prices: { type: 'string' },
      'no-classifier': { type: 'boolean', default: false },
      methods: { type: 'string', default: [LTT, LTT2, BOUNDED, PE].join(',') },
      margins: { type: 'string', default: '0.01,0.02,0.03' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const target = Number(values.target);
  const confidence = Number(values.confidence);
  const share = Number(values.split);
  const seed0 = Number(values.seed);
  const resamples = Number(values.resamples);
  const maxRungs = Number(values['max-rungs']);
  const fitShare = Number(values['fit-share']);
  const methods = new Set(list(values.methods));
  if (methods.size === 0 || [...methods].some((m) => ![LTT, LTT2, BOUNDED, PE].includes(m))) {
    process.stderr.write(
      `--methods: some of ${[LTT, LTT2, BOUNDED, PE].join(', ')}, not "${values.methods}"\n`,
    );
    return 2;
  }
  const margins =
    values.margins.trim() === 'none' || !methods.has(PE)
      ? []
      : [...new Set(list(values.margins).map(Number))];
  if (margins.some((m) => !Number.isFinite(m) || m <= 0 || m >= 1)) {
    process.stderr.write(`--margins: positive relative-quality margins below 1, not "${values.margins}"\n`);
    return 2;
  }
  const dataDir = path.resolve(
    process.env.CASCADE_SHARED_DATA ?? path.resolve(__dirname, '../../shared/data'),
  );
  const trainFiles = values.train ?? defaultSets(dataDir);
  const testFiles = values.test ?? [];
  if (testFiles.length > 0 && testFiles.length !== trainFiles.length) {
    process.stderr.write('--test needs one file per --train file (paired by position)\n');
    return 2;
  }
  const repeats = testFiles.length > 0 ? 1 : Number(values.repeats);
  let prices: PriceBook = {};
  const configFile = path.resolve(values.config ?? 'cascade.config.yaml');
  if (fs.existsSync(configFile)) {
    prices = pricesFromConfig(loadConfig(configFile, { calibrations: false }).config.models);
  }
  if (values.prices) prices = { ...prices, ...parsePrices(values.prices) };

  const started = Date.now();
  const results: BenchResult[] = [];
  const warnings = new Set<string>();
  for (let f = 0; f < trainFiles.length; f++) {
    const file = trainFiles[f]!;
    const models = modelsOf(file);
    const family = values.candidates
      ? { models: list(values.candidates), twoRung: list(values.ladder ?? '') }
      : FAMILIES.find((fam) => fam.models.every((m) => models.includes(m)));
    if (!family || !family.models.every((m) => models.includes(m))) {
      process.stderr.write(`${file}: no family of models fits (${models.join(', ')}); skipped\n`);
      continue;
    }
    const candidates = family.models;
    const twoRung =
      values.ladder !== undefined
        ? list(values.ladder)
        : family.twoRung.length === 2
          ? family.twoRung
          : [candidates[0]!, candidates[candidates.length - 1]!];
    const set = path.basename(file, '.jsonl');
    let all: LabelledRow[];
    let testAll: LabelledRow[] | null = null;
    try {
      const data = readLabelledData([file], candidates, prices, '--candidates');
      data.warnings.forEach((w) => warnings.add(w));
      all = data.rows;
      if (testFiles[f]) testAll = readLabelledData([testFiles[f]!], candidates, prices).rows;
    } catch (err) {
      if (err instanceof LabelledDataError) {
        process.stderr.write(`${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const outcomes: SplitOutcome[] = [];
    let calRows = 0;
    let testRows = 0;
    for (let r = 0; r < repeats; r++) {
      const seed = seed0 + r;
      const [cal, test] = testAll
        ? [all, testAll]
        : values.population
          ? [resample(all, seed), all]
          : split(all, share, seed);
      calRows = cal.length;
      testRows = test.length;
      const outcome = runSplit(cal, test, {
        candidates,
        twoRung,
        target,
        confidence,
        seed,
        resamples,
        classifier: !values['no-classifier'],
        methods,
        margins,
        maxRungs,
        fitShare,
      });
      outcomes.push(outcome);
      outcome.warnings.forEach((w) => warnings.add(`${set}: ${w}`));
    }
    process.stderr.write(
      `${set}: ${repeats} split(s) done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
    );
    const preRoute = all.every((r) => r.outcomes[twoRung[0]!]!.raw === null);
    for (const method of [...outcomes[0]!.replayed.keys()]) {
      const pick = (o: SplitOutcome) => o.replayed.get(method)!;
      const res: BenchResult = {
        set,
        candidates,
        twoRung,
        method,
        ...(method.startsWith(`${PE}+`) ? { margin: margins.find((m) => marginMethod(m) === method) } : {}),
        target,
        confidence,
        calibrationRows: calRows,
        testRows,
        preRoute,
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
      results.push(res);
    }
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(results) + '\n');
    return 0;
  }
  const p = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : fmt(x * 100, 1));
  const out: string[] = [];
  out.push(
    `bench/routing ${new Date(started).toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s); node ${process.version}, ${os.cpus().length} cores`,
    `target ${p(target)}% of the reference's accuracy (the family's largest model), confidence ${p(confidence)}%; ` +
      (testFiles.length > 0
        ? 'calibrated on --train, replayed on --test'
        : values.population
          ? `each set as the population: calibrated on a sample drawn from it with replacement (its size), measured on the whole set, seeds ${seed0}..${seed0 + repeats - 1}`
          : `each set split ${p(share)}% calibration / ${p(1 - share)}% test, seeds ${seed0}..${seed0 + repeats - 1}`) +
      `; ltt fits on ${p(fitShare)}% of the calibration part, ladders up to ${maxRungs} rungs`,
    'held = splits where the test part kept the target; figures are means over the splits, relative to the reference alone',
    '',
  );
  const header = [
    'set',
    'method',
    'cal/test',
    'held',
    'rel quality %',
    'rel cost %',
    'escalated %',
    'skipped %',
    'chosen (splits)',
  ];
  const rows = results.map((r, k) => [
    k === 0 || results[k - 1]!.set !== r.set ? r.set : '',
    r.method,
    `${r.calibrationRows}/${r.testRows}`,
    `${r.repeats.held}/${r.repeats.splits}`,
    p(r.repeats.meanRelativeQuality),
    p(r.repeats.meanRelativeCost),
    p(r.repeats.meanEscalationRate),
    p(r.repeats.meanSkipRate),
    r.chosen
      ? Object.entries(r.chosen)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([c, n]) => `${shortLadder(c)} (${n})`)
          .join(', ')
      : '',
  ]);
  out.push(formatTable(header, rows, 2));
  out.push('', ...summaryLines(results, p));
  const refs = results.filter((r) => r.router);
  if (refs.length > 0) {
    out.push('', 'pre-route scores on the RouteLLM-shaped sets (test part; mean over splits):');
    out.push(
      formatTable(
        ['set', 'router', 'APGR', 'CPT50', 'CPT80'],
        refs.flatMap((r) =>
          Object.entries(r.router!).map(([name, x], k) => [
            k === 0 ? r.set : '',
            name,
            fmt(x.apgr, 3),
            fmt(x.cpt50, 3),
            fmt(x.cpt80, 3),
          ]),
        ),
        2,
      ),
    );
  }
  for (const w of warnings) out.push(`warning: ${w}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/** `llama3.1-8b>llama3.1-405b` -> `3.1-8b>3.1-405b`, for the table. */
function shortLadder(s: string): string {
  return s.replace(/llama|qwen2\.5-|-instruct|-coder|-preview/g, '');
}

/** Per kind of set (confidence thresholds: cascades; pre-route only: RouteLLM), per method: held and mean cost. */
function summaryLines(results: BenchResult[], p: (x: number | undefined) => string): string[] {
  const methods = [...new Set(results.map((r) => r.method))];
  const groups = [
    { label: 'cascades sets (confidences)', rs: results.filter((r) => !r.preRoute) },
    { label: 'RouteLLM sets (pre-route only)', rs: results.filter((r) => r.preRoute) },
  ].filter((g) => g.rs.length > 0);
  const rows: string[][] = [];
  for (const g of groups) {
    methods.forEach((method, k) => {
      const rs = g.rs.filter((r) => r.method === method);
      if (rs.length === 0) return;
      const held = rs.reduce((s, r) => s + r.repeats.held, 0);
      const total = rs.reduce((s, r) => s + r.repeats.splits, 0);
      rows.push([
        k === 0 ? g.label : '',
        method,
        String(rs.length),
        `${held}/${total}`,
        p(held / total),
        `${rs.filter((r) => r.repeats.held / r.repeats.splits >= 0.95).length}/${rs.length}`,
        p(mean(rs.map((r) => r.repeats.meanRelativeQuality))),
        p(mean(rs.map((r) => r.repeats.meanRelativeCost))),
      ]);
    });
  }
  return [
    'summary: held = splits where the test part kept the target; sets >= 95% = sets held on at least 95% of their splits; mean quality and cost = mean over the sets of the mean over the splits',
    formatTable(
      ['sets', 'method', 'n', 'held', 'held %', 'sets >= 95%', 'mean quality %', 'mean cost %'],
      rows,
      2,
    ),
  ];
}

process.exitCode = main();
