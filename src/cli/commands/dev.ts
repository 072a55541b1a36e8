import path from 'node:path';
import type { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { CascadeClient } from '../../doors/client/cascade-client';
import { runBatch } from '../../doors/client/batch';
import { formatSummaryTable, summarize } from '../../doors/client/summary';
import { demoSet } from '../../tools/demo/demo-set';
import { calibrationNotes, shadowChildren } from '../../tools/demo/run';
import { formatVerdicts, taskVerdicts } from '../../tools/demo/verdict';
import { ConfigWatcher } from '../../request/config-file/watch';
import { readEnv } from '../../env';
import { installRuntime } from '../../temporal/runtime';
import { portIsFree } from '../../watch/telemetry/metrics-server';
import { startRecordedServer, type RecordedServer } from '../../tools/recorded-models/server';
import { resolveTemporalCli, TemporalCliNotFoundError } from '../../temporal/cli-resolver';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { registerSearchAttributes } from '../../temporal/search-attributes-setup';
import { startWorkers, type RunningWorkers } from '../../temporal/worker';
import { startDevGateway } from '../../doors/gateway/dev';
import { cliDataConverter } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { concurrencyArg, nonNegativeNumberArg } from '../args';

interface DevOptions {
  config?: string;
  demo?: boolean;
  exitAfterDemo?: boolean;
  latencyScale: string;
  concurrency: string;
}

/**
 * `cascade dev`: the whole stack on one machine with no API key. A Temporal dev server (reused
 * when one is already healthy on the address) with its Web UI, the recorded-model server, and a
 * worker; `--demo` runs a batch of real recorded queries through the cascade and prints what it
 * cost against the large-only baseline. Prints `READY` once up; Ctrl-C stops what it started.
 */
export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      'Run the local stack: Temporal dev server + UI, recorded-model server, worker (Ctrl-C stops)',
    )
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--demo', 'run a demo batch through the cascade and print its summary before READY')
    .option('--exit-after-demo', 'stop everything after the demo instead of serving on')
    .option(
      '--latency-scale <x>',
      'recorded-model latency multiplier (1 = as recorded)',
      nonNegativeNumberArg,
      '0.25',
    )
    .option('--concurrency <n>', 'demo requests in flight', concurrencyArg, '8')
    .action(async (opts: DevOptions) => {
      await runDev(opts);
    });
}

async function runDev(opts: DevOptions): Promise<void> {
  const env = readEnv();
  // The SDK's own worker metrics beside ours; a busy port is a warning here, not a failure.
  const runtime = installRuntime('WARN', { sdkMetricsBindAddress: `0.0.0.0:${env.sdkMetricsPort}` });
  const loaded = loadConfigForCli(opts.config);
  const namespace = loaded.config.temporal.namespace;
  // Edits to the config file (kill switch, override, rollout) reach new requests without a restart.
  const watcher = new ConfigWatcher(loaded.source, {
    onReload: (next) => process.stderr.write(`config reloaded: ${next.version}\n`),
    onError: (err) =>
      process.stderr.write(`config edit ignored, keeping ${watcher.current().version}: ${err.message}\n`),
  });
  const say = (line: string) => process.stdout.write(line + '\n');
  const cleanups: (() => Promise<void>)[] = [async () => watcher.close()];
  const stopAll = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };

  let server: DevServer;
  let recorded: RecordedServer | undefined;
  let workers: RunningWorkers;
  try {
    const cli = await resolveTemporalCli({
      explicitPath: env.temporalCliPath,
      cacheDir: env.cacheDir,
      allowSdkDownload: false,
      log: (l) => process.stderr.write(l + '\n'),
    }).catch((err: unknown) => {
      if (err instanceof TemporalCliNotFoundError) throw new CliError(err.message, EXIT.unavailable);
      throw err;
    });
    if (cli.kind !== 'path') throw new Error('unreachable');

    server = await startDevServer({
      cliPath: cli.path,
      address: env.temporalAddress,
      uiPort: env.temporalUiPort,
      dbFile: path.join(env.cacheDir, 'temporal.sqlite'),
      logFile: path.join(env.cacheDir, 'temporal-server.log'),
      namespace,
    });
    cleanups.push(() => server.stop());
    say(
      `Temporal ${server.reused ? 'reused at' : 'dev server on'} ${server.address}, Web UI ${server.uiUrl}`,
    );
    const conn = await Connection.connect({ address: server.address });
    await registerSearchAttributes(conn, namespace).finally(() => conn.close());

    const runId = `demo-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
    const set = demoSet({ sharedDataDir: env.sharedDataDir, runId });
    try {
      recorded = await startRecordedServer({
        dataFiles: set.dataFiles,
        port: env.recordedPort,
        latencyScale: Number(opts.latencyScale),
        concurrency: 16,
      });
    } catch (err) {
      throw new CliError(
        `cannot start the recorded-model server on port ${env.recordedPort}: ${(err as Error).message} ` +
          '(set CASCADE_RECORDED_PORT, and point the config models at it)',
        EXIT.unavailable,
      );
    }
    cleanups.push(() => recorded!.close());
    say(`recorded-model server on ${recorded.baseUrl} (${set.dataFiles.length} data files)`);

    const metricsFree = await portIsFree(env.metricsPort);
    workers = await startWorkers({
      config: () => watcher.current().config,
      calibrations: () => watcher.current().calibrations,
      address: server.address,
      namespace,
      ledgerUrl: env.ledgerUrl,
      metricsPort: metricsFree ? env.metricsPort : undefined,
      monitorSchedule: true,
      alertWebhookUrl: env.alertWebhookUrl,
    });
    cleanups.push(() => workers.shutdown());
    say(`worker polling ${workers.workers.length} task queues, config ${loaded.version}`);
    say(`ledger ${workers.ledger!.location}`);
    if (workers.metricsServer) say(`metrics ${workers.metricsServer.url}`);
    else process.stderr.write(`metrics port ${env.metricsPort} is busy: set CASCADE_METRICS_PORT\n`);
    if (runtime.sdkMetricsUrl) say(`SDK worker metrics ${runtime.sdkMetricsUrl}`);
    else if (runtime.sdkMetricsError) process.stderr.write(`${runtime.sdkMetricsError}\n`);
    const gateway = await startDevGateway({ workers, config: () => watcher.current(), namespace, env });
    if (gateway) cleanups.push(() => gateway.close());
    if (gateway) say(`gateway ${gateway.url}/v1 (OpenAI-compatible; docs/gateway.md)`);

    if (opts.demo) {
      say('');
      for (const n of [...set.notes, ...calibrationNotes(loaded.config, set, loaded.calibrations)])
        say(`demo: ${n}`);
      const client = await clientFor(server.address, namespace);
      const cascade = new CascadeClient({
        client,
        config: loaded,
        ledger: workers.ledger,
      });
      cleanups.push(() => cascade.close());
      const result = await runBatch(
        cascade,
        set.requests.map((value) => ({ value })),
        {
          concurrency: Number(opts.concurrency),
          onProgress: (p) => {
            if (p.done % (p.total > 100 ? 50 : 10) === 0 || p.done === p.total)
              process.stderr.write(`  ${p.done}/${p.total} requests\n`);
          },
        },
      );
      // A shadow's model calls are spent too: the summary counts them (the children end just
      // after their parents, once the served answer is signalled).
      const children = await shadowChildren(client, result.traces);
      say('');
      say(formatSummaryTable(summarize(result.traces, { shadowChildren: children })));
      for (const e of result.errors.slice(0, 5))
        say(`  ${e.kind}: ${e.requestId ?? `line ${e.line}`}: ${e.error}`);
      say('');
      say(
        formatVerdicts(
          taskVerdicts({
            config: loaded.config,
            calibrations: loaded.calibrations,
            rows: set.rows,
            traces: result.traces,
            shadowChildren: children,
          }),
        ),
      );
      say(`Scope: ${set.scope}`);
      const escalated = result.traces.some((t) => t.escalations.length > 0);
      const query = escalated
        ? `CascadeEscalated = true AND WorkflowId STARTS_WITH "${runId}"`
        : `WorkflowId STARTS_WITH "${runId}"`;
      say('');
      say(
        escalated
          ? `Escalated requests in the Temporal UI:`
          : `No request escalated; the demo's requests in the Temporal UI:`,
      );
      say(`  ${server.uiUrl}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
      say(`  or: temporal workflow list --query '${query}'`);
      const example = result.traces.find((t) => t.escalations.length > 0) ?? result.traces[0];
      if (example) say(`  one trace: npx cascade trace ${example.requestId}`);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  say('READY');
  if (opts.exitAfterDemo) {
    await stopAll();
    return;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('stopping ...\n');
  await stopAll();
}

async function clientFor(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  // The dev workers encrypt when CASCADE_CODEC_KEYS is set: the demo's client must use the same codec.
  return new Client({ connection, namespace, dataConverter: cliDataConverter() });
}
