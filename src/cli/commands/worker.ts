import type { Command } from 'commander';
import { readEnv } from '../../env';
import { redactUrl } from '../../request/ledger/types';
import { installRuntime } from '../../temporal/runtime';
import { ConfigWatcher } from '../../request/config-file/watch';
import { startWorkers } from '../../temporal/worker';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { isServerHealthy } from '../../temporal/dev-server';
import { nonEmptyArg } from '../args';

interface WorkerCommandOptions {
  config?: string;
  address?: string;
  namespace?: string;
  models?: string;
  workflows: boolean;
  ledger?: string;
  metrics: boolean;
  metricsPort?: string;
  sdkMetrics: boolean;
  sdkMetricsPort?: string;
  taskQueue?: string;
  shadowTaskQueue?: string;
  workflowBundle?: string;
  monitors: boolean;
}

/** A port option: an integer 0-65535 (0 = any free port). */
export function parsePort(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new CliError(`${name} must be a port number (0-65535), got ${JSON.stringify(value)}`, EXIT.usage);
  }
  return n;
}

/** `cascade worker`: serve the cascade workflow queue and the model queues until Ctrl-C. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: cascade workflows, and model calls on cascade-model-<modelId> queues')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)', nonEmptyArg)
    .option(
      '--models <ids>',
      'serve only these models (comma-separated); default all in the config',
      nonEmptyArg,
    )
    .option('--no-workflows', 'serve model queues only (scale model capacity separately from workflows)')
    .option(
      '--ledger <url>',
      'outcome ledger: sqlite:<path> or postgres://... (default: $CASCADE_LEDGER_URL)',
    )
    .option(
      '--metrics-port <port>',
      'serve cascade_* metrics here (default: $CASCADE_METRICS_PORT or 9464; 0 = free)',
    )
    .option('--no-metrics', 'do not serve the cascade_* metrics')
    .option(
      '--sdk-metrics-port <port>',
      "serve the Temporal SDK's worker metrics here (default: $CASCADE_SDK_METRICS_PORT or 9465)",
    )
    .option('--no-sdk-metrics', "do not serve the Temporal SDK's worker metrics")
    .option('--task-queue <name>', 'the workflow task queue (default: cascade)')
    .option('--shadow-task-queue <name>', 'the shadow task queue (default: cascade-shadow)')
    .option('--workflow-bundle <file>', 'a prebuilt workflow bundle (default: bundle the workflows at start)')
    .option('--no-monitors', 'do not create or update the cascade-monitors schedule at start')
    .action(async (opts: WorkerCommandOptions) => {
      const env = readEnv();
      const sdkPort = opts.sdkMetrics
        ? opts.sdkMetricsPort !== undefined
          ? parsePort('--sdk-metrics-port', opts.sdkMetricsPort)
          : env.sdkMetricsPort
        : undefined;
      const metricsPort = opts.metrics
        ? opts.metricsPort !== undefined
          ? parsePort('--metrics-port', opts.metricsPort)
          : env.metricsPort
        : undefined;
      const runtime = installRuntime('WARN', {
        sdkMetricsBindAddress: sdkPort !== undefined ? `0.0.0.0:${sdkPort}` : undefined,
      });
      if (runtime.sdkMetricsError) {
        throw new CliError(
          `${runtime.sdkMetricsError} (set --sdk-metrics-port or CASCADE_SDK_METRICS_PORT, or --no-sdk-metrics)`,
          EXIT.usage,
        );
      }
      const loaded = loadConfigForCli(opts.config);
      const address = opts.address ?? env.temporalAddress;
      const namespace = opts.namespace ?? loaded.config.temporal.namespace;
      if (!(await isServerHealthy(address, '5s'))) {
        throw new CliError(
          `Cannot reach the Temporal server at ${address}. Start one with \`npx cascade dev\` or set TEMPORAL_ADDRESS.`,
          EXIT.unavailable,
        );
      }
      const ledgerUrl = opts.ledger ?? env.ledgerUrl;
      let running;
      try {
        // Endpoint edits in the config file reach the next calls without a restart.
        const watcher = new ConfigWatcher(loaded.source, {
          onReload: (next) => process.stderr.write(`config reloaded: ${next.version}\n`),
          onError: (err) => process.stderr.write(`config edit ignored: ${err.message}\n`),
        });
        running = await startWorkers({
          config: () => watcher.current().config,
          calibrations: () => watcher.current().calibrations,
          address,
          namespace,
          models: opts.models
            ?.split(',')
            .map((m) => m.trim())
            .filter(Boolean),
          workflows: opts.workflows,
          ledgerUrl,
          metricsPort,
          taskQueue: opts.taskQueue,
          shadowTaskQueue: opts.shadowTaskQueue,
          workflowBundlePath: opts.workflowBundle,
          monitorSchedule: opts.monitors,
          alertWebhookUrl: env.alertWebhookUrl,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') {
          throw new CliError(
            `metrics port ${metricsPort} is in use: pass --metrics-port (0 = a free one) or --no-metrics`,
            EXIT.usage,
          );
        }
        throw new CliError(e.message, EXIT.config);
      }
      const queues = running.workers.map((w) => w.options.taskQueue).join(', ');
      process.stderr.write(`worker on ${address}/${namespace}, config ${loaded.version}: ${queues}\n`);
      if (running.ledger) process.stderr.write(`ledger: ${running.ledger.location}\n`);
      if (running.metricsServer) process.stderr.write(`metrics: ${running.metricsServer.url}\n`);
      if (runtime.sdkMetricsUrl) process.stderr.write(`sdk metrics: ${runtime.sdkMetricsUrl}\n`);
      if (!running.ledger && opts.ledger) {
        process.stderr.write(`(model-only worker: ${redactUrl(ledgerUrl)} is not used)\n`);
      }
      const stop = () => void running.shutdown();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await running.done;
    });
}
