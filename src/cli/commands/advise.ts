/**
 * `cascade advise (--profile DIR | --labelled FILE...) --monthly-tokens N [...]`: the field
 * report's "should you route at all?" decision tree, answered per task type with figures from a
 * profile (`cascade profile`) or labelled outcomes, and a recommendation with its expected monthly
 * saving. Markdown by default; `--config-snippet` prints the tasks section as YAML; `--json` one
 * JSON document. docs/advise.md explains every figure.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stampVersions, writeArtefact } from '../../request/config-file/artefact-file';
import { pricesFromConfig, type PriceBook } from '../../tools/calibrate/labelled-data';
import { readEnv } from '../../env';
import { advise, type AdviseOptions, type TaskAdvice } from '../../tools/advise/analyse';
import {
  AdviseInputError,
  evidenceFromLabelled,
  evidenceFromProfile,
  type TaskEvidence,
} from '../../tools/advise/evidence';
import { adviseJson, formatMarkdown, formatSnippet, slug } from '../../tools/advise/format';
import type { LoadtestResult } from '../../tools/loadtest/types';
import { packageVersion } from '../../version';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';

interface Out {
  write(s: string): unknown;
}

export interface AdviseCommandOptions {
  profile?: string;
  labelled?: string[];
  monthlyTokens: number;
  routerCostUsdMonth?: number;
  target: number;
  confidence: number;
  loadtest?: string;
  json?: boolean;
  configSnippet?: boolean;
  ladder?: [string, string];
  prices?: PriceBook;
  schemas?: Record<string, Record<string, unknown> | undefined>;
  costPerAction?: number;
  resamples?: number;
  seed?: number;
  classifier?: boolean;
  /** Write the calibration artefact of every calibrated-cascade recommendation under DIR/<task>/. */
  calibrationsOut?: string;
  stdout?: Out;
}

/** `50M`, `2.5e6`, `800k`, `1B` -> tokens. */
export function parseTokens(raw: string): number {
  const m = /^\s*([\d.]+(?:e[+-]?\d+)?)\s*([kKmMbB]?)\s*$/.exec(raw);
  const x = m ? Number(m[1]) * ({ '': 1, k: 1e3, m: 1e6, b: 1e9 }[m[2]!.toLowerCase()] ?? 1) : NaN;
  if (!Number.isFinite(x) || x <= 0)
    throw new CliError(
      `--monthly-tokens must be a positive number (e.g. 50M, 2.5e6), got "${raw}"`,
      EXIT.usage,
    );
  return x;
}

export function readLoadtest(file: string): LoadtestResult {
  let doc: LoadtestResult;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadtestResult;
  } catch (err) {
    throw new CliError(`--loadtest ${file}: ${(err as Error).message}`, EXIT.usage);
  }
  if (doc?.kind !== 'cascade-loadtest' || !Array.isArray(doc.steps)) {
    throw new CliError(`--loadtest ${file}: not a \`cascade loadtest --json\` result`, EXIT.usage);
  }
  return doc;
}

export function adviseCommand(opts: AdviseCommandOptions): { code: number; advice: TaskAdvice[] } {
  const stdout = opts.stdout ?? process.stdout;
  if ((opts.profile === undefined) === (opts.labelled === undefined || opts.labelled.length === 0)) {
    throw new CliError('give --profile DIR or --labelled FILE... (one of them)', EXIT.usage);
  }
  const evOpts = {
    ladder: opts.ladder,
    prices: opts.prices ?? {},
    schemas: opts.schemas ?? {},
    costPerAction: opts.costPerAction ?? 0,
  };
  let evidence: TaskEvidence[];
  try {
    evidence =
      opts.profile !== undefined
        ? evidenceFromProfile(opts.profile, evOpts)
        : evidenceFromLabelled(opts.labelled!, evOpts);
  } catch (err) {
    if (err instanceof AdviseInputError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  const aOpts: AdviseOptions = {
    monthlyTokens: opts.monthlyTokens,
    ...(opts.routerCostUsdMonth !== undefined ? { routerCostUsdMonth: opts.routerCostUsdMonth } : {}),
    target: opts.target,
    confidence: opts.confidence,
    resamples: opts.resamples,
    seed: opts.seed,
    classifier: opts.classifier,
    loadtest: opts.loadtest ? readLoadtest(opts.loadtest) : null,
  };
  const advice = advise(evidence, aOpts);
  const calibrationPaths: Record<string, string> = {};
  if (opts.calibrationsOut) {
    for (const a of advice) {
      if (a.recommendation.kind !== 'calibrated-cascade' && a.recommendation.kind !== 'latency-budget')
        continue;
      if (!a.fit) continue;
      const dir = path.join(opts.calibrationsOut, slug(a.task));
      const artefact = stampVersions({
        ...a.fit.artefact,
        tool: `cascade-router ${packageVersion()} (advise)`,
        createdAt: new Date().toISOString(),
      });
      calibrationPaths[a.task] = writeArtefact(dir, artefact).latest;
    }
  }
  if (opts.json) {
    stdout.write(
      JSON.stringify(
        adviseJson(advice, aOpts, {
          from: opts.profile ?? opts.labelled,
          loadtest: opts.loadtest ?? null,
          calibrations: calibrationPaths,
        }),
      ) + '\n',
    );
  } else if (opts.configSnippet) {
    stdout.write(formatSnippet(advice, calibrationPaths, aOpts));
  } else {
    stdout.write(formatMarkdown(advice, aOpts));
  }
  return { code: EXIT.ok, advice };
}

function number(flag: string, raw: string, ok: (x: number) => boolean, what: string): number {
  const x = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(x) || !ok(x))
    throw new CliError(`${flag} must be ${what}, got "${raw}"`, EXIT.usage);
  return x;
}

interface AdviseCliOptions {
  profile?: string;
  labelled?: string[];
  monthlyTokens: string;
  routerCostUsdMonth?: string;
  target: string;
  confidence: string;
  loadtest?: string;
  json?: boolean;
  configSnippet?: boolean;
  ladder?: string;
  config?: string;
  resamples: string;
  seed: string;
  classifier: boolean;
  calibrationsOut?: string;
}

export function registerAdvise(program: Command): void {
  program
    .command('advise')
    .description(
      'Should you route at all? The five questions per task type, with figures and a recommendation',
    )
    .option('--profile <dir>', 'a `cascade profile` directory')
    .option('--labelled <files...>', 'labelled JSONL files (the shape of ../shared/data)')
    .requiredOption('--monthly-tokens <n>', 'your monthly token volume (e.g. 50M)')
    .option(
      '--router-cost-usd-month <x>',
      'router engineering + operating cost per month (default: use the 5-10M tokens/month band)',
    )
    .option('--target <q>', 'relative quality to keep (of the large model)', '0.97')
    .option('--confidence <c>', 'confidence of the bound', '0.95')
    .option('--loadtest <file.json>', 'a `cascade loadtest --json` result, for question 5')
    .option('--json', 'print one JSON document')
    .option('--config-snippet', 'print the recommended tasks section as YAML')
    .option(
      '--ladder <small,large>',
      'the two models to weigh (default: the cheapest and the most expensive)',
    )
    .option(
      '-c, --config <file>',
      'config for prices, schemas and costPerAction (default: $CASCADE_CONFIG if it exists)',
    )
    .option(
      '--calibrations-out <dir>',
      'write the calibration artefact of each recommended cascade under <dir>/<task>/',
    )
    .option('--resamples <n>', 'bootstrap resamples', '1000')
    .option('--seed <n>', 'seed', '1')
    .option('--no-classifier', 'no pre-route classifier in the calibration search (faster)')
    .action((opts: AdviseCliOptions) => {
      const ladder = opts.ladder?.split(',').map((m) => m.trim());
      if (ladder && ladder.length !== 2)
        throw new CliError('--ladder takes two models: small,large', EXIT.usage);
      const configFile = opts.config ?? readEnv().configPath;
      const loaded =
        opts.config || fs.existsSync(configFile)
          ? loadConfigForCli(configFile, { calibrations: false })
          : null;
      const schemas: Record<string, Record<string, unknown> | undefined> = {};
      if (loaded) for (const [t, c] of Object.entries(loaded.config.tasks)) schemas[t] = c.responseSchema;
      adviseCommand({
        profile: opts.profile,
        labelled: opts.labelled,
        monthlyTokens: parseTokens(opts.monthlyTokens),
        routerCostUsdMonth:
          opts.routerCostUsdMonth !== undefined
            ? number(
                '--router-cost-usd-month',
                opts.routerCostUsdMonth,
                (x) => x >= 0,
                'a non-negative number',
              )
            : undefined,
        target: number('--target', opts.target, (x) => x > 0 && x <= 1.5, 'in (0, 1.5]'),
        confidence: number('--confidence', opts.confidence, (x) => x > 0 && x < 1, 'in (0, 1)'),
        loadtest: opts.loadtest,
        json: opts.json,
        configSnippet: opts.configSnippet,
        ladder: ladder as [string, string] | undefined,
        prices: loaded ? pricesFromConfig(loaded.config.models) : {},
        schemas,
        costPerAction: loaded?.config.temporal.costPerAction ?? 0,
        resamples: number(
          '--resamples',
          opts.resamples,
          (x) => Number.isInteger(x) && x >= 100,
          'an integer >= 100',
        ),
        seed: number('--seed', opts.seed, Number.isInteger, 'an integer'),
        classifier: opts.classifier,
        calibrationsOut: opts.calibrationsOut,
      });
    });
}
