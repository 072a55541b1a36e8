/**
 * `cascade calibrate --train FILE... (--ladder a,b[,c] | --candidates a,b,c,...) --target 0.97
 * --confidence 0.95 --out DIR`: fit calibration maps and the pre-route classifier on one part of
 * the labelled rows, test the candidate policies on the other with the learn-then-test guarantee
 * (with --candidates the ladder itself is chosen: any cheapest-first subset, a single cheaper model
 * included, or "do not route"); write the versioned artefact a task points to (`calibration:`),
 * print the chosen ladder, the cost/quality curve with the chosen point and the guarantee in
 * words, and draw the curve as an SVG. Bad data is a usage error naming the file and line.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ArtefactError } from '../../request/config-file/artefact-file';
import {
  LabelledDataError,
  parsePrices,
  type PriceBook,
  pricesFromConfig,
} from '../../tools/calibrate/labelled-data';
import { calibrationJson, formatCalibration, runCalibration } from '../../tools/calibrate/run';
import { readEnv } from '../../env';
import { packageVersion } from '../../version';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';

interface CalibrateCliOptions {
  train: string[];
  ladder?: string;
  candidates?: string;
  maxRungs: string;
  fitShare: string;
  target: string;
  confidence: string;
  out: string;
  json?: boolean;
  config?: string;
  prices?: string;
  seed: string;
  resamples: string;
  classifier: boolean;
}

function number(name: string, value: string, ok: (x: number) => boolean, what: string): number {
  const x = Number(value);
  if (!Number.isFinite(x) || !ok(x))
    throw new CliError(`--${name} must be ${what}, got "${value}"`, EXIT.usage);
  return x;
}

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description(
      'Choose the ladder, thresholds and skip points with a quality guarantee (learn-then-test), or say "do not route"',
    )
    .requiredOption('--train <files...>', 'labelled JSONL files (the shape of ../shared/data)')
    .option('--ladder <models>', 'a fixed ladder, cheapest first: a,b[,c] (model names as in the data)')
    .option(
      '--candidates <models>',
      'candidate models, cheapest first, the last the reference: the ladder is chosen among their cheapest-first subsets',
    )
    .option('--max-rungs <n>', 'the longest ladder --candidates considers', '3')
    .option('--target <q>', 'required accuracy relative to the last (reference) model', '0.97')
    .option(
      '--confidence <c>',
      'probability the guarantee holds over the labelled sample (1 - delta)',
      '0.95',
    )
    .option('--fit-share <f>', 'share of the rows fitted on (maps, classifier, order); the rest test', '0.3')
    .requiredOption(
      '--out <dir>',
      'where to write the artefact (<version>.json, calibration.json, curve.svg)',
    )
    .option('--json', 'print one JSON document')
    .option('-c, --config <file>', 'config whose model prices to use (default: $CASCADE_CONFIG if it exists)')
    .option(
      '--prices <spec>',
      'prices for models the config lacks: model=IN/OUT,... (USD per million tokens)',
    )
    .option('--seed <n>', "seed of the split, folds, the test's thinning and resamples", '1')
    .option('--resamples <n>', "bootstrap resamples of the chosen point's descriptive intervals", '1000')
    .option('--no-classifier', 'no pre-route classifier: thresholds only (rules-v1 at run time)')
    .action((opts: CalibrateCliOptions) => {
      if (!opts.ladder === !opts.candidates)
        throw new CliError(
          'give --ladder a,b (a fixed ladder) or --candidates a,b,c (choose the ladder)',
          EXIT.usage,
        );
      const flag = opts.ladder ? 'ladder' : 'candidates';
      const models = (opts.ladder ?? opts.candidates)!
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      if (models.length < 2)
        throw new CliError(`--${flag} needs at least two models: small,large`, EXIT.usage);
      if (new Set(models).size !== models.length)
        throw new CliError(`--${flag} names a model twice: ${models.join(',')}`, EXIT.usage);
      const maxRungs = number(
        'max-rungs',
        opts.maxRungs,
        (x) => Number.isInteger(x) && x >= 1,
        'an integer >= 1',
      );
      const fitShare = number('fit-share', opts.fitShare, (x) => x > 0 && x < 1, 'in (0, 1)');
      const target = number(
        'target',
        opts.target,
        (x) => x > 0 && x <= 1.5,
        'a relative quality in (0, 1.5]',
      );
      const confidence = number('confidence', opts.confidence, (x) => x > 0 && x < 1, 'in (0, 1)');
      const seed = number('seed', opts.seed, Number.isInteger, 'an integer');
      const resamples = number(
        'resamples',
        opts.resamples,
        (x) => Number.isInteger(x) && x >= 10,
        'an integer >= 10',
      );

      let prices: PriceBook = {};
      const configFile = opts.config ?? readEnv().configPath;
      if (opts.config || fs.existsSync(configFile)) {
        // Prices only: the config's own artefacts (perhaps the stale one being replaced) are not read.
        prices = pricesFromConfig(loadConfigForCli(configFile, { calibrations: false }).config.models);
      }
      if (opts.prices) {
        try {
          prices = { ...prices, ...parsePrices(opts.prices) };
        } catch (err) {
          throw new CliError((err as Error).message, EXIT.usage);
        }
      }
      let outcome;
      try {
        outcome = runCalibration({
          train: opts.train,
          ...(opts.ladder ? { ladder: models } : { candidates: models, maxRungs }),
          fitShare,
          target,
          confidence,
          out: opts.out,
          prices,
          seed,
          resamples,
          classifier: opts.classifier,
          tool: `cascade-router ${packageVersion()}`,
        });
      } catch (err) {
        if (err instanceof LabelledDataError || err instanceof ArtefactError) {
          throw new CliError(err.message, EXIT.usage);
        }
        throw err;
      }
      if (opts.json) process.stdout.write(JSON.stringify(calibrationJson(outcome)) + '\n');
      else process.stdout.write(formatCalibration(outcome));
    });
}
