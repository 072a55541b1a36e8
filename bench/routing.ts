/**
 * bench/routing: offline replay of recorded outcomes through the SAME policy code the workflow
 * runs (src/router/rung-decision.ts via src/router/calibration/simulate.ts; the classifier's
 * predictions through the classify activity's own `decide`), to say whether routing decisions
 * are good: calibrate on one part of a labelled set, replay the other part.
 *
 * Per set and ladder, two policies fitted on the same calibration part and replayed on the same
 * test part:
 *   bounded         `cascade calibrate`: thresholds and skip points chosen so that the
 *                   percentile-bootstrap LOWER BOUND of relative quality clears the target;
 *   point-estimate  the usual practice: one threshold, no classifier, tuned so that the POINT
 *                   ESTIMATE of relative quality clears the target.
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
import { apgr, cpt, routerCurve } from '../src/router/calibration/metrics';
import { seededRandom, shuffledIndices } from '../src/router/random';
import { type ReplayRow, replaySummary, type RungPolicy } from '../src/router/calibration/simulate';
import { ruleComplexity, structuralFeatures } from '../src/router/features';
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

export interface BenchResult {
  set: string;
  ladder: string[];
  method: 'bounded' | 'point-estimate';
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
  repeats: { splits: number; held: number; meanRelativeQuality: number; meanRelativeCost: number };
  /** Pre-route only sets (no confidences): RouteLLM's metrics of the classifier's scores on the test part. */
  apgr?: number;
  cpt50?: number;
  cpt80?: number;
  /** The same metrics for the rules-v1 complexity score and a random router, for reference. */
  reference?: {
    rules: { apgr: number; cpt50: number; cpt80: number };
    random: { apgr: number; cpt50: number; cpt80: number };
  };
  /** Whether the calibration recommended routing at all (else: static). */
  recommendation?: string;
  classifierAuc?: number | null;
}

interface SplitOutcome {
  bounded: ReturnType<typeof replaySummary>;
  baseline: ReturnType<typeof replaySummary>;
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
    selection: 'fixed-sequence' | 'cheapest-bounded';
  },
): SplitOutcome {
  const fit = fitCascadeCalibration(cal, {
    ladder,
    target: opts.target,
    confidence: opts.confidence,
    seed: opts.seed,
    resamples: opts.resamples,
    classifier: opts.classifier,
    selection: opts.selection,
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
    bounded: replaySummary(policy, testRows),
    baseline: replaySummary(baselinePolicy, testRows),
    preRoute,
    router,
    recommendation:
      artefact.recommendation.route === 'static' ? `static ${artefact.recommendation.model}` : 'cascade',
    classifierAuc: head?.report.heldOut.auc ?? null,
    calibrationRows: cal.length,
    testRows: test.length,
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
      selection: { type: 'string', default: 'fixed-sequence' },
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
        outcomes.push(
          runSplit(cal, test, ladder, {
            target,
            confidence,
            seed,
            resamples,
            classifier: !values['no-classifier'],
            selection: values.selection as 'fixed-sequence' | 'cheapest-bounded',
          }),
        );
      }
      process.stderr.write(
        `${set}: ${repeats} split(s) done (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
      );
      const first = outcomes[0]!;
      for (const method of ['bounded', 'point-estimate'] as const) {
        const pick = (o: SplitOutcome) => (method === 'bounded' ? o.bounded : o.baseline);
        const s = pick(first);
        const result: BenchResult = {
          set,
          ladder,
          method,
          target,
          confidence,
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
        if (method === 'bounded') {
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
  const rows = results.map((r) => [
    r.method === 'bounded' ? r.set : '',
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
  const bounded = results.filter((r) => r.method === 'bounded');
  const base = results.filter((r) => r.method === 'point-estimate');
  const heldSplits = (rs: BenchResult[]) => rs.reduce((s, r) => s + r.repeats.held, 0);
  const totalSplits = (rs: BenchResult[]) => rs.reduce((s, r) => s + r.repeats.splits, 0);
  out.push(
    '',
    `target held on the first split: bounded ${bounded.filter((r) => r.targetHeld).length}/${bounded.length} sets, ` +
      `point-estimate ${base.filter((r) => r.targetHeld).length}/${base.length}`,
    `target held over all splits: bounded ${heldSplits(bounded)}/${totalSplits(bounded)}, point-estimate ${heldSplits(base)}/${totalSplits(base)}`,
    `mean relative cost over all splits and sets: bounded ${p(mean(bounded.map((r) => r.repeats.meanRelativeCost)))}%, ` +
      `point-estimate ${p(mean(base.map((r) => r.repeats.meanRelativeCost)))}%`,
  );
  const refs = bounded.filter((r) => r.reference);
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

process.exitCode = main();
