import type { Command } from 'commander';
import { readEnv } from '../../env';
import { installRuntime } from '../../temporal/runtime';
import { ConfigWatcher } from '../../config/watch';
import { startWorkers } from '../../worker';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { isServerHealthy } from '../../temporal/dev-server';

/** `cascade worker`: serve the cascade workflow queue and the model queues until Ctrl-C. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: cascade workflows, and model calls on cascade-model-<modelId> queues')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)')
    .option('--models <ids>', 'serve only these models (comma-separated); default all in the config')
    .option('--no-workflows', 'serve model queues only (scale model capacity separately from workflows)')
    .action(
      async (opts: {
        config?: string;
        address?: string;
        namespace?: string;
        models?: string;
        workflows: boolean;
      }) => {
        installRuntime();
        const env = readEnv();
        const loaded = loadConfigForCli(opts.config);
        const address = opts.address ?? env.temporalAddress;
        const namespace = opts.namespace ?? loaded.config.temporal.namespace;
        if (!(await isServerHealthy(address))) {
          throw new CliError(
            `Cannot reach the Temporal server at ${address}. Start one with \`npx cascade dev\` or set TEMPORAL_ADDRESS.`,
            EXIT.unavailable,
          );
        }
        let running;
        try {
          // Endpoint edits in the config file reach the next calls without a restart.
          const watcher = new ConfigWatcher(loaded.source, {
            onReload: (next) => process.stderr.write(`config reloaded: ${next.version}\n`),
            onError: (err) => process.stderr.write(`config edit ignored: ${err.message}\n`),
          });
          running = await startWorkers({
            config: () => watcher.current().config,
            address,
            namespace,
            models: opts.models
              ?.split(',')
              .map((m) => m.trim())
              .filter(Boolean),
            workflows: opts.workflows,
          });
        } catch (err) {
          throw new CliError((err as Error).message, EXIT.config);
        }
        const queues = running.workers.map((w) => w.options.taskQueue).join(', ');
        process.stderr.write(`worker on ${address}/${namespace}, config ${loaded.version}: ${queues}\n`);
        const stop = () => void running.shutdown();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await running.done;
      },
    );
}
