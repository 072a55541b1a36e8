import type { Command } from 'commander';
import { ConfigError } from '../../request/config/errors';
import { loadConfig } from '../../request/config-file/load';
import { readEnv } from '../../env';
import { CliError, EXIT } from '../errors';

/** `cascade config check`: validate a config file and print its version. */
export function registerConfig(program: Command): void {
  const config = program.command('config').description('Inspect and validate cascade.config.yaml');
  config
    .command('check')
    .description('Validate the config; print its version, models and tasks (exit 3 when invalid)')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--json', 'print one JSON document')
    .action((opts: { config?: string; json?: boolean }) => {
      const file = opts.config ?? readEnv().configPath;
      try {
        const { config: cfg, version } = loadConfig(file);
        const summary = {
          file,
          version,
          models: Object.keys(cfg.models),
          tasks: Object.fromEntries(Object.entries(cfg.tasks).map(([id, t]) => [id, t.route])),
        };
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(`${file}: valid, version ${version}\n`);
          process.stdout.write(`  models: ${summary.models.join(', ')}\n`);
          for (const [id, route] of Object.entries(summary.tasks))
            process.stdout.write(`  task ${id}: ${route}\n`);
        }
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
        throw err;
      }
    });
}
