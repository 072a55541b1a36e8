/**
 * bench/routing: offline replay of recorded outcomes through the SAME policy code the workflow
 * runs (src/router/rung-decision.ts via src/router/calibration/simulate.ts; the classifier's
 * predictions through the classify activity's own `decide`), to say whether routing decisions
 * are good: calibrate on one part of a labelled set, replay the other part.
 *
 * Per set and ladder, policies fitted on the same calibration part and replayed on the same test
 * part:
 *   bounded             `cascade calibrate`: thresholds and skip points chosen so that the
 *                       percentile-bootstrap LOWER BOUND of relative quality clears the target
 *                       (the search's default fixed-sequence walk down the frontier);
 *   bounded-cheapest    the same search with `selection: 'cheapest-bounded'`: the cheapest of all
 *                       candidates whose bound clears;
 *   point-estimate      the usual practice: one threshold, no classifier, tuned so that the POINT
 *                       ESTIMATE of relative quality clears the target;
 *   point-estimate+m    the same with the usual safety margin: tuned to target + m (m in points of
 *                       relative quality, --margins), to compare costs at comparable reliability.
 * Reported on the test part: accuracy relative to the large (last) model, cost relative to the
 * large model alone (double costs and self-checks included), escalation rate, skip rate, and
 * whether the target held. With --repeats R, the split is redrawn R times (seeds seed..seed+R-1)
 * and `held` counts the splits on which the target held. For sets without confidences (RouteLLM:
 * only `correct` per model) the policy is the pre-route classifier alone, and RouteLLM's router
 * metrics of its scores on the test part are added: APGR, CPT(50%), CPT(80%) (fractions),
 * beside the rules-v1 complexity score and a random router.
 *
 *   npm run bench:routing                                   # every cascades set (both ladders) + both RouteLLM sets
 *   npm run bench:routing -- --train a.jsonl --test b.jsonl --ladder small,large --target 0.97 [--json]
 *   npm run bench:routing -- --train a.jsonl --ladder small,mid,large --repeats 20
 *   npm run bench:routing -- --margins 0.01,0.02,0.03,0.05 --selection fixed-sequence
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { decide } from '../activities/classify';
import { registerArtefact, stampVersions } from '../src/calibration/artefact-file';
import {
  LabelledDataError,
  parsePrices,
  type PriceBook,
  pricesFromConfig,
  readLabelledData,
} from '../src/calibration/labelled-data';
import { loadConfig } from '../src/config/load';
import { fitCascadeCalibration, type LabelledRow, policyOfArtefact } from '../src/router/calibration/fit';
import type { PolicyChoice } from '../src/router/calibration/search';
import { apgr, cpt, routerCurve } from '../src/router/calibration/metrics';
import { seededRandom, shuffledIndices } from '../src/router/random';
import { type ReplayRow, replaySummary, type RungPolicy } from '../src/router/calibration/simulate';
import { ruleComplexity, structuralFeatures } from '../src/router/features';
import {
  boundedChoice,
  pointEstimateChoices,
  policyWith,
  sameChoice,
  searchRowsOf,
} from './lib/routing-policies';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:routing -- [options]

  --train FILE...        labelled JSONL sets (default: ../shared/data cascades/*.jsonl and routellm/{mmlu,gsm8k}.jsonl)
  --test FILE...         test sets, paired with --train by position (default: a seeded split of each --train set)
  --ladder a,b[,c]       a ladder, cheapest first; repeat for several (each set runs every ladder its rows have)
  --target Q             relative quality target (default 0.97)
  --confidence C         confidence of the bound (default 0.95)
  --split F              calibration share of a split set (default 0.5)
  --seed N               first split seed (default 1)
  --repeats R            splits per set (default 1); 'held' counts the splits where the target held
  --resamples N          bootstrap resamples (default 1000)
  --config FILE          model prices (default ./cascade.config.yaml); --prices m=IN/OUT,... adds more
  --no-classifier        thresholds only
  --margins M,...        safety margins for the point-estimate+m methods, in relative quality
                         (default 0.01,0.02,0.03; 'none' for none)
  --selection S,...      bounded selections to report: fixed-sequence (method 'bounded', the
                         search's default), cheapest-bounded (method 'bounded-cheapest');
                         default both; the first is the fitted artefact's
  --json                 one JSON document (an array of result objects) on stdout
  -h, --help`;

const DEFAULT_LADDERS = [
  ['llama3.1-8b', 'llama3.1-405b'],
  ['gpt-4o-mini', 'gpt-4o'],
  ['mixtral-8x7b-instruct', 'gpt-4-1106-preview'],
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

type Selection = 'fixed-sequence' | 'cheapest-bounded';

const SELECTION_METHOD: Record<Selection, string> = {
  'fixed-sequence': 'bounded',
  'cheapest-bounded': 'bounded-cheapest',
};

/** `point-estimate+2` for a margin of 0.02. */
function marginMethod(m: number): string {
  return `point-estimate+${Number((m * 100).toFixed(2))}`;
}

export interface BenchResult {
  set: string;
  ladder: string[];
  /** `bounded`, `bounded-cheapest`, `point-estimate` or `point-estimate+<points>`. */
  method: string;
  /** point-estimate+m: the margin m (relative quality) the point estimate was tuned above the target. */
  margin?: number;
  /** bounded methods: the search's selection rule. */
  selection?: Selection;
  target: number;
  confidence: number;
  calibrationRows: number;
  testRows: number;
  relativeQuality: number;
  relativeCost: number;
  escalationRate: number;
  skipRate: number;
  targetHeld: boolean;
  /** Over the repeated splits: on how many the target held, and mean figures. */
  repeats: {
    splits: number;
    held: number;
    meanRelativeQuality: number;
    meanRelativeCost: number;
    /**
     * bounded-cheapest: splits on which it chose another policy than the fixed-sequence walk, and
     * the mean calibration-part relative cost of the two choices over all splits.
     */
    differsFromBounded?: number;
    meanCalibrationCost?: number;
    meanCalibrationCostBounded?: number;
  };
  /** Pre-route only sets (no confidences): RouteLLM's metrics of the classifier's scores on the test part. */
  apgr?: number;
  cpt50?: number;
  cpt80?: number;
  /** The same metrics for the rules-v1 complexity score and a random router, for reference. */
  reference?: {
    rules: { apgr: number; cpt50: number; cpt80: number };
    random: { apgr: number; cpt50: number; cpt80: number };
  };
  /** A ladder without confidences: the policy is the pre-route classifier's skip points alone. */
  preRoute: boolean;
  /** Whether the calibration recommended routing at all (else: static). */
  recommendation?: string;
  classifierAuc?: number | null;
}

interface SplitOutcome {
  /** Test-part replay per method (see BenchResult.method). */
  summaries: Map<string, ReturnType<typeof replaySummary>>;
  /** Bounded methods: the chosen policy's calibration-part relative cost, and whether it is the fixed-sequence choice. */
  bounded: Map<string, { calibrationCost: number; sameAsFixedSequence: boolean }>;
  preRoute: boolean;
  router?: BenchResult['reference'] & { ours: { apgr: number; cpt50: number; cpt80: number } };
  recommendation: string;
  classifierAuc: number | null;
  calibrationRows: number;
  testRows: number;
}

function routerMetrics(score: number[], test: LabelledRow[], ladder: string[]) {
  const weak = test.map((r) => r.outcomes[ladder[0]!]!.correct);
  const strong = test.map((r) => r.outcomes[ladder[ladder.length - 1]!]!.correct);
  const wa = weak.filter(Boolean).length / weak.length;
  const sa = strong.filter(Boolean).length / strong.length;
  const curve = routerCurve(score, weak, strong);
  return { apgr: apgr(curve, wa, sa), cpt50: cpt(curve, 0.5, wa, sa), cpt80: cpt(curve, 0.8, wa, sa) };
}

function runSplit(
  cal: LabelledRow[],
  test: LabelledRow[],
  ladder: string[],
  opts: {
    target: number;
    confidence: number;
    seed: number;
    resamples: number;
    classifier: boolean;
    selections: Selection[];
    margins: number[];
  },
): { outcome: SplitOutcome; warnings: string[] } {
  const warnings: string[] = [];
  const fit = fitCascadeCalibration(cal, {
    ladder,
    target: opts.target,
    confidence: opts.confidence,
    seed: opts.seed,
    resamples: opts.resamples,
    classifier: opts.classifier,
    selection: opts.selections[0],
  });
  // The artefact as the worker would load it, and the classify activity's own decision.
  const artefact = stampVersions(fit.artefact);
  registerArtefact(artefact);
  const policy = policyOfArtefact(artefact);
  const predict = (r: LabelledRow): (number | null)[] => {
    if (!artefact.classifier) return ladder.map(() => null);
    const d = decide({
      task: r.task,
      messages: r.messages,
      classifier: { version: artefact.classifier.version, calibrationVersion: artefact.version },
    });
    return d.predicted ?? ladder.map(() => null);
  };
  const testRows: ReplayRow[] = test.map((r) => ({
    outcomes: ladder.map((m) => r.outcomes[m]!),
    predicted: predict(r),
  }));
  const b = fit.search.baseline;
  const baselinePolicy: RungPolicy[] = policy.map((r, i) => ({
    ...r,
    threshold: b.thresholds[i] ?? null,
    skip: b.skips[i] ?? null,
  }));
  const summaries = new Map<string, ReturnType<typeof replaySummary>>();
  const bounded = new Map<string, { calibrationCost: number; sameAsFixedSequence: boolean }>();
  // The calibration rows as the search saw them, for the other selections and the margins.
  const searchRows = searchRowsOf(fit, cal, ladder);
  const choices = new Map<Selection, { choice: PolicyChoice; calibrationCost: number }>();
  choices.set(opts.selections[0]!, {
    choice: { thresholds: fit.search.chosen.thresholds, skips: fit.search.chosen.skips },
    calibrationCost: fit.search.chosen.relativeCost,
  });
  for (const selection of opts.selections.slice(1)) {
    choices.set(
      selection,
      boundedChoice(fit, searchRows, {
        target: opts.target,
        confidence: opts.confidence,
        seed: opts.seed,
        resamples: opts.resamples,
        selection,
      }),
    );
  }
  const fixed = choices.get('fixed-sequence');
  for (const [selection, c] of choices) {
    const method = SELECTION_METHOD[selection];
    // The fitted artefact's own policy for the first selection, as the worker would run it.
    const replayed = selection === opts.selections[0] ? policy : policyWith(policy, c.choice);
    summaries.set(method, replaySummary(replayed, testRows));
    bounded.set(method, {
      calibrationCost: c.calibrationCost,
      sameAsFixedSequence: fixed !== undefined && sameChoice(c.choice, fixed.choice),
    });
  }
  summaries.set('point-estimate', replaySummary(baselinePolicy, testRows));
  if (opts.margins.length > 0) {
    // Tuned to target + m; m = 0 must reproduce the search's own baseline.
    const targets = [0, ...opts.margins].map((m) => Math.round((opts.target + m) * 1e9) / 1e9);
    const [own, ...withMargin] = pointEstimateChoices(policy, searchRows, targets);
    if (!sameChoice(own!, b)) {
      warnings.push(
        `${ladder.join(',')} seed ${opts.seed}: the bench's point-estimate tuning does not reproduce ` +
          `search.ts's baseline (${JSON.stringify(own)} vs ${JSON.stringify({ thresholds: b.thresholds, skips: b.skips })})`,
      );
    }
    opts.margins.forEach((m, k) =>
      summaries.set(marginMethod(m), replaySummary(policyWith(policy, withMargin[k]!), testRows)),
    );
  }
  const preRoute = policy.slice(0, -1).every((r) => r.source === null);
  let router: SplitOutcome['router'];
  if (preRoute && artefact.classifier) {
    const ours = routerMetrics(
      testRows.map((r) => 1 - (r.predicted[0] ?? 0.5)),
      test,
      ladder,
    );
    const rules = routerMetrics(
      test.map((r) => ruleComplexity(structuralFeatures(r.messages))),
      test,
      ladder,
    );
    const rnd = seededRandom(opts.seed * 7919);
    const random = routerMetrics(
      test.map(() => rnd()),
      test,
      ladder,
    );
    router = { ours, rules, random };
  }
  const head = artefact.classifier ? artefact.classifier.heads[ladder[0]!] : undefined;
  return {
    outcome: {
      summaries,
      bounded,
      preRoute,
      router,
      recommendation:
        artefact.recommendation.route === 'static' ? `static ${artefact.recommendation.model}` : 'cascade',
      classifierAuc: head?.report.heldOut.auc ?? null,
      calibrationRows: cal.length,
      testRows: test.length,
    },
    warnings,
  };
}

function split(rows: LabelledRow[], share: number, seed: number): [LabelledRow[], LabelledRow[]] {
  const order = shuffledIndices(rows.length, seed);
  const k = Math.round(rows.length * share);
  return [order.slice(0, k).map((i) => rows[i]!), order.slice(k).map((i) => rows[i]!)];
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
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

function main(): number {
  const { values } = parseArgs({
    args: expandLists(process.argv.slice(2), ['--train', '--test', '--ladder']),
    options: {
      train: { type: 'string', multiple: true },
      test: { type: 'string', multiple: true },
      ladder: { type: 'string', multiple: true },
      target: { type: 'string', default: '0.97' },
      confidence: { type: 'string', default: '0.95' },
      split: { type: 'string', default: '0.5' },
      seed: { type: 'string', default: '1' },
      repeats: { type: 'string', default: '1' },
      resamples: { type: 'string', default: '1000' },
      config: { type: 'string' },
      prices: { type: 'string' },
      'no-classifier': { type: 'boolean', default: false },
      selection: { type: 'string', default: 'fixed-sequence,cheapest-bounded' },
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
  const selections = [
    ...new Set(
      values.selection
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
  if (selections.length === 0 || selections.some((x) => !(x in SELECTION_METHOD))) {
    process.stderr.write(`--selection: fixed-sequence and/or cheapest-bounded, not "${values.selection}"\n`);
    return 2;
  }
  const margins =
    values.margins.trim() === 'none'
      ? []
      : [
          ...new Set(
            values.margins
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
              .map(Number),
          ),
        ];
  if (margins.some((m) => !Number.isFinite(m) || m <= 0 || m >= 1)) {
    process.stderr.write(
      `--margins: positive relative-quality margins below 1, e.g. 0.01,0.02, not "${values.margins}"\n`,
    );
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
  const ladders = (values.ladder ?? DEFAULT_LADDERS.map((l) => l.join(','))).map((l) =>
    l
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  );
  let prices: PriceBook = {};
  const configFile = path.resolve(values.config ?? 'cascade.config.yaml');
  if (fs.existsSync(configFile)) prices = pricesFromConfig(loadConfig(configFile).config.models);
  if (values.prices) prices = { ...prices, ...parsePrices(values.prices) };

  const started = Date.now();
  const results: BenchResult[] = [];
  const warnings = new Set<string>();
  for (let f = 0; f < trainFiles.length; f++) {
    const file = trainFiles[f]!;
    const models = modelsOf(file);
    const fitting = ladders.filter((l) => l.every((m) => models.includes(m)));
    if (fitting.length === 0) {
      process.stderr.write(`${file}: no --ladder fits its models (${models.join(', ')}); skipped\n`);
      continue;
    }
    for (const ladder of fitting) {
      const set = path.basename(file, '.jsonl') + (fitting.length > 1 ? ` [${ladder.join(',')}]` : '');
      let all: LabelledRow[];
      let testAll: LabelledRow[] | null = null;
      try {
        const data = readLabelledData([file], ladder, prices);
        data.warnings.forEach((w) => warnings.add(w));
        all = data.rows;
        if (testFiles[f]) testAll = readLabelledData([testFiles[f]!], ladder, prices).rows;
      } catch (err) {
        if (err instanceof LabelledDataError) {
          process.stderr.write(`${err.message}\n`);
          return 2;
        }
        throw err;
      }
      const outcomes: SplitOutcome[] = [];
      for (let r = 0; r < repeats; r++) {
        const seed = seed0 + r;
        const [cal, test] = testAll ? [all, testAll] : split(all, share, seed);
        const { outcome, warnings: w } = runSplit(cal, test, ladder, {
          target,
          confidence,
          seed,
          resamples,
          classifier: !values['no-classifier'],
          selections: selections as Selection[],
          margins,
        });
        outcomes.push(outcome);
        w.forEach((x) => warnings.add(x));
      }
      process.stderr.write(
        `${set}: ${repeats} split(s) done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
      );
      const first = outcomes[0]!;
      const methods = [
        ...(selections as Selection[]).map((x) => SELECTION_METHOD[x]).sort(),
        'point-estimate',
        ...margins.map(marginMethod),
      ];
      for (const method of methods) {
        const pick = (o: SplitOutcome) => o.summaries.get(method)!;
        const s = pick(first);
        const selection = (Object.keys(SELECTION_METHOD) as Selection[]).find(
          (x) => SELECTION_METHOD[x] === method,
        );
        const margin = margins.find((m) => marginMethod(m) === method);
        const result: BenchResult = {
          set,
          ladder,
          method,
          ...(margin !== undefined ? { margin } : {}),
          ...(selection !== undefined ? { selection } : {}),
          target,
          confidence,
          preRoute: first.preRoute,
          calibrationRows: first.calibrationRows,
          testRows: first.testRows,
          relativeQuality: s.relativeQuality,
          relativeCost: s.relativeCost,
          escalationRate: s.escalationRate,
          skipRate: s.skipRate,
          targetHeld: s.relativeQuality >= target,
          repeats: {
            splits: outcomes.length,
            held: outcomes.filter((o) => pick(o).relativeQuality >= target).length,
            meanRelativeQuality: mean(outcomes.map((o) => pick(o).relativeQuality)),
            meanRelativeCost: mean(outcomes.map((o) => pick(o).relativeCost)),
          },
        };
        if (method === 'bounded-cheapest' && selections.includes('fixed-sequence')) {
          result.repeats.differsFromBounded = outcomes.filter(
            (o) => !o.bounded.get(method)!.sameAsFixedSequence,
          ).length;
          result.repeats.meanCalibrationCost = mean(
            outcomes.map((o) => o.bounded.get(method)!.calibrationCost),
          );
          result.repeats.meanCalibrationCostBounded = mean(
            outcomes.map((o) => o.bounded.get('bounded')!.calibrationCost),
          );
        }
        if (selection !== undefined && selection === selections[0]) {
          // The fitted artefact's: its recommendation, its classifier's router metrics.
          result.recommendation = first.recommendation;
          result.classifierAuc = first.classifierAuc;
          if (first.router) {
            result.apgr = mean(outcomes.map((o) => o.router!.ours.apgr));
            result.cpt50 = mean(outcomes.map((o) => o.router!.ours.cpt50));
            result.cpt80 = mean(outcomes.map((o) => o.router!.ours.cpt80));
            const avg = (k: 'rules' | 'random') => ({
              apgr: mean(outcomes.map((o) => o.router![k].apgr)),
              cpt50: mean(outcomes.map((o) => o.router![k].cpt50)),
              cpt80: mean(outcomes.map((o) => o.router![k].cpt80)),
            });
            result.reference = { rules: avg('rules'), random: avg('random') };
          }
        }
        results.push(result);
      }
    }
  }

  if (values.json) {
    process.stdout.write(JSON.stringify(results) + '\n');
    return 0;
  }
  const p = (x: number | undefined) => (x === undefined ? '-' : fmt(x * 100, 1));
  const out: string[] = [];
  out.push(
    `bench/routing ${new Date(started).toISOString()} (${((Date.now() - started) / 1000).toFixed(0)} s); node ${process.version}, ${os.cpus().length} cores`,
    `target ${p(target)}% of the large model's accuracy, bound at ${p(confidence)}% confidence; ` +
      (testFiles.length > 0
        ? 'calibrated on --train, replayed on --test'
        : `each set split ${p(share)}% calibration / ${p(1 - share)}% test, seeds ${seed0}..${seed0 + repeats - 1}`),
    'figures on the test part of the first split; held = splits where the test part kept the target',
    '',
  );
  const header = [
    'set',
    'method',
    'cal/test',
    'rel quality %',
    'rel cost %',
    'escalated %',
    'skipped %',
    'held',
    `held (${repeats})`,
    'mean cost %',
    'APGR',
    'CPT50',
    'CPT80',
  ];
  const rows = results.map((r, k) => [
    k === 0 || results[k - 1]!.set !== r.set ? r.set : '',
    r.method,
    `${r.calibrationRows}/${r.testRows}`,
    p(r.relativeQuality),
    p(r.relativeCost),
    p(r.escalationRate),
    p(r.skipRate),
    r.targetHeld ? 'yes' : 'no',
    `${r.repeats.held}/${r.repeats.splits}`,
    p(r.repeats.meanRelativeCost),
    r.apgr === undefined ? '-' : fmt(r.apgr, 3),
    r.cpt50 === undefined ? '-' : fmt(r.cpt50, 3),
    r.cpt80 === undefined ? '-' : fmt(r.cpt80, 3),
  ]);
  out.push(formatTable(header, rows, 2));
  out.push('', ...summaryLines(results, p));
  const refs = results.filter((r) => r.reference);
  if (refs.length > 0) {
    out.push('', 'pre-route scores on the RouteLLM-shaped sets (test part; mean over splits):');
    out.push(
      formatTable(
        ['set', 'router', 'APGR', 'CPT50', 'CPT80'],
        refs.flatMap((r) => [
          [r.set, 'classifier', fmt(r.apgr, 3), fmt(r.cpt50, 3), fmt(r.cpt80, 3)],
          [
            '',
            'rules-v1',
            fmt(r.reference!.rules.apgr, 3),
            fmt(r.reference!.rules.cpt50, 3),
            fmt(r.reference!.rules.cpt80, 3),
          ],
          [
            '',
            'random',
            fmt(r.reference!.random.apgr, 3),
            fmt(r.reference!.random.cpt50, 3),
            fmt(r.reference!.random.cpt80, 3),
          ],
        ]),
        2,
      ),
    );
  }
  for (const w of warnings) out.push(`warning: ${w}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/**
 * The summary: per ladder shape (and, where a shape mixes them, per kind of set: confidence
 * thresholds or pre-route only), per method, the splits on which the target held and the mean
 * relative cost (mean over the sets of the mean over the splits).
 */
function summaryLines(results: BenchResult[], p: (x: number | undefined) => string): string[] {
  const methods = [...new Set(results.map((r) => r.method))];
  const shape = (r: BenchResult) => `${r.ladder.length} rungs`;
  const groups: { label: string; rs: BenchResult[] }[] = [];
  for (const s of [...new Set(results.map(shape))]) {
    const rs = results.filter((r) => shape(r) === s);
    groups.push({ label: `${s}, all sets`, rs });
    const kinds = [
      { label: `${s}, confidence thresholds`, rs: rs.filter((r) => !r.preRoute) },
      { label: `${s}, pre-route only`, rs: rs.filter((r) => r.preRoute) },
    ];
    if (kinds.every((k) => k.rs.length > 0)) groups.push(...kinds);
  }
  const held = (rs: BenchResult[]) => rs.reduce((s, r) => s + r.repeats.held, 0);
  const total = (rs: BenchResult[]) => rs.reduce((s, r) => s + r.repeats.splits, 0);
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const g of groups) {
    methods.forEach((method, k) => {
      const rs = g.rs.filter((r) => r.method === method);
      rows.push([
        k === 0 ? g.label : '',
        method,
        String(new Set(rs.map((r) => r.set)).size),
        `${rs.filter((r) => r.targetHeld).length}/${rs.length}`,
        `${held(rs)}/${total(rs)}`,
        p(held(rs) / total(rs)),
        p(mean(rs.map((r) => r.repeats.meanRelativeQuality))),
        p(mean(rs.map((r) => r.repeats.meanRelativeCost))),
      ]);
    });
    // Like for like: the cheapest point-estimate variant that held at least as often as each
    // bounded method.
    const of = (m: string) => g.rs.filter((r) => r.method === m);
    for (const b of methods.filter((m) => m.startsWith('bounded'))) {
      const hb = held(of(b));
      const rivals = methods
        .filter((m) => m.startsWith('point-estimate') && held(of(m)) >= hb)
        .sort(
          (x, y) =>
            mean(of(x).map((r) => r.repeats.meanRelativeCost)) -
            mean(of(y).map((r) => r.repeats.meanRelativeCost)),
        );
      const cost = (m: string) => p(mean(of(m).map((r) => r.repeats.meanRelativeCost)));
      lines.push(
        `${g.label}: ${b} held ${hb}/${total(of(b))} at ${cost(b)}%; ` +
          (rivals[0]
            ? `cheapest point estimate holding as often: ${rivals[0]} ${held(of(rivals[0]))}/${total(of(rivals[0]))} at ${cost(rivals[0])}%`
            : 'no point-estimate variant held as often'),
      );
    }
    const cheapest = of('bounded-cheapest');
    if (cheapest.length > 0 && cheapest[0]!.repeats.differsFromBounded !== undefined) {
      const differs = cheapest.reduce((s, r) => s + (r.repeats.differsFromBounded ?? 0), 0);
      lines.push(
        `${g.label}: bounded-cheapest chose another policy than bounded on ${differs}/${total(cheapest)} splits; ` +
          `mean relative cost on the calibration part ${p(mean(cheapest.map((r) => r.repeats.meanCalibrationCost!)))}% ` +
          `against ${p(mean(cheapest.map((r) => r.repeats.meanCalibrationCostBounded!)))}%`,
      );
    }
  }
  return [
    'summary: held = splits where the test part kept the target (first split: sets); mean quality and cost = mean over the sets of the mean over the splits',
    formatTable(
      ['ladder', 'method', 'sets', 'held (first)', 'held (all)', 'held %', 'mean quality %', 'mean cost %'],
      rows,
      2,
    ),
    '',
    ...lines,
  ];
}

process.exitCode = main();
