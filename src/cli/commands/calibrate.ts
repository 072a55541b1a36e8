/**
 * `cascade calibrate --train FILE... --ladder a,b[,c] --target 0.97 --confidence 0.95 --out DIR`:
 * fit calibration maps, the pre-route classifier and thresholds on labelled outcomes; write the
 * versioned artefact a task points to (`calibration:`), print the cost/quality curve with the
 * chosen point, and draw it as an SVG. Bad data is a usage error naming the file and line.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { ArtefactError } from '../../calibration/artefact-file';
import {
  LabelledDataError,
  parsePrices,
  type PriceBook,
  pricesFromConfig,
} from '../../calibration/labelled-data';
import { calibrationJson, formatCalibration, runCalibration } from '../../calibration/run';
import { readEnv } from '../../env';
import { packageVersion } from '../../version';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';

interface CalibrateCliOptions {
  train: string[];
  ladder: string;
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
    .description('Fit calibration maps, the pre-route classifier and thresholds with a quality guarantee')
    .requiredOption('--train <files...>', 'labelled JSONL files (the shape of ../shared/data)')
    .requiredOption('--ladder <models>', 'the ladder, cheapest first: a,b[,c] (model names as in the data)')
    .option('--target <q>', 'required accuracy relative to the last (large) model', '0.97')
    .option('--confidence <c>', 'confidence of the lower bound the target must clear', '0.95')
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
    .option('--seed <n>', 'seed of folds and resamples', '1')
    .option('--resamples <n>', 'bootstrap resamples', '1000')
    .option('--no-classifier', 'no pre-route classifier: thresholds only (rules-v1 at run time)')
    .action((opts: CalibrateCliOptions) => {
      const ladder = opts.ladder
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      if (ladder.length < 2)
        throw new CliError('--ladder needs at least two models: small,large', EXIT.usage);
      if (new Set(ladder).size !== ladder.length)
        throw new CliError(`--ladder names a model twice: ${ladder.join(',')}`, EXIT.usage);
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
        (x) => Number.isInteger(x) && x >= 100,
        'an integer >= 100',
      );

      let prices: PriceBook = {};
      const configFile = opts.config ?? readEnv().configPath;
      if (opts.config || fs.existsSync(configFile)) {
        prices = pricesFromConfig(loadConfigForCli(configFile).config.models);
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
          ladder,
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
