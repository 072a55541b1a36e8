/** bench/routing's command line: its usage, and the options it runs with (the sets, the methods, the prices). */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePrices, type PriceBook, pricesFromConfig } from '../../src/tools/calibrate/labelled-data';
import { loadConfig } from '../../src/request/config-file/load';
import { DEFAULT_FIT_SHARE, DEFAULT_MAX_RUNGS } from '../../src/tools/calibrate/fit';
import { METHODS, PE } from './routing-results';

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
  --population-rows N    with --population: draw N calibration rows instead of the set's size (what
                         the method does with more labelled rows from traffic like this set's)
  --seed N               first split seed (default 1)
  --repeats R            splits per set (default 1)
  --resamples N          bootstrap resamples of the earlier bounded search (default 1000)
  --config FILE          model prices (default ./cascade.config.yaml); --prices m=IN/OUT,... adds more
  --no-classifier        thresholds only
  --methods M,...        ltt, ltt-2rung, bounded, point-estimate (default all)
  --margins M,...        point-estimate+m margins in relative quality (default 0.01,0.02,0.03; 'none')
  --json                 one JSON document (an array of result objects) on stdout
  -h, --help`;

export interface RoutingOptions {
  trainFiles: string[];
  /** Paired with trainFiles by position; empty: split each train set. */
  testFiles: string[];
  /** --candidates and --ladder as given; absent: the set's family (./routing-run.ts). */
  candidates?: string[];
  ladder?: string[];
  maxRungs: number;
  fitShare: number;
  target: number;
  confidence: number;
  /** Calibration share of a split set. */
  share: number;
  population: boolean;
  /** Calibration rows drawn in population mode; null: the set's own size. */
  populationRows: number | null;
  /** The first split's seed. */
  seed0: number;
  /** Splits per set (1 with --test). */
  repeats: number;
  resamples: number;
  prices: PriceBook;
  classifier: boolean;
  methods: Set<string>;
  margins: number[];
  json: boolean;
}

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

/** The flags parseArgs reads (USAGE says what each means). */
const OPTIONS = {
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
  'population-rows': { type: 'string' },
  seed: { type: 'string', default: '1' },
  repeats: { type: 'string', default: '1' },
  resamples: { type: 'string', default: '1000' },
  config: { type: 'string' },
  prices: { type: 'string' },
  'no-classifier': { type: 'boolean', default: false },
  methods: { type: 'string', default: METHODS.join(',') },
  margins: { type: 'string', default: '0.01,0.02,0.03' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * The options of a run, or the exit code when it should not run: 0 after --help, 2 after a bad
 * value (said on stderr). An unknown option throws (parseArgs's own error).
 */
export function parseRoutingOptions(argv: string[]): RoutingOptions | number {
  const { values } = parseArgs({
    args: expandLists(argv, ['--train', '--test']),
    options: OPTIONS,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const methods = new Set(list(values.methods));
  if (methods.size === 0 || [...methods].some((m) => !METHODS.includes(m))) {
    process.stderr.write(`--methods: some of ${METHODS.join(', ')}, not "${values.methods}"\n`);
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
  const populationRows = values['population-rows'] === undefined ? null : Number(values['population-rows']);
  if (
    populationRows !== null &&
    !(Number.isInteger(populationRows) && populationRows > 0 && values.population)
  ) {
    process.stderr.write(
      `--population-rows: a positive whole number, with --population; not "${values['population-rows']}"\n`,
    );
    return 2;
  }
  // The project's sibling ../shared/data (this file is in bench/lib/).
  const dataDir = path.resolve(
    process.env.CASCADE_SHARED_DATA ?? path.resolve(__dirname, '../../../shared/data'),
  );
  const trainFiles = values.train ?? defaultSets(dataDir);
  const testFiles = values.test ?? [];
  if (testFiles.length > 0 && testFiles.length !== trainFiles.length) {
    process.stderr.write('--test needs one file per --train file (paired by position)\n');
    return 2;
  }
  return {
    trainFiles,
    testFiles,
    ...(values.candidates ? { candidates: list(values.candidates) } : {}),
    ...(values.ladder !== undefined ? { ladder: list(values.ladder) } : {}),
    maxRungs: Number(values['max-rungs']),
    fitShare: Number(values['fit-share']),
    target: Number(values.target),
    confidence: Number(values.confidence),
    share: Number(values.split),
    population: values.population,
    populationRows,
    seed0: Number(values.seed),
    repeats: testFiles.length > 0 ? 1 : Number(values.repeats),
    resamples: Number(values.resamples),
    prices: readPrices(values.config, values.prices),
    classifier: !values['no-classifier'],
    methods,
    margins,
    json: values.json,
  };
}

/** Model prices: the config's (./cascade.config.yaml unless --config), and --prices on top. */
function readPrices(config: string | undefined, extra: string | undefined): PriceBook {
  let prices: PriceBook = {};
  const configFile = path.resolve(config ?? 'cascade.config.yaml');
  if (fs.existsSync(configFile)) {
    prices = pricesFromConfig(loadConfig(configFile, { calibrations: false }).config.models);
  }
  if (extra) prices = { ...prices, ...parsePrices(extra) };
  return prices;
}
