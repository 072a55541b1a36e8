import type { Command } from 'commander';
import { CascadeClient } from '../../doors/client/cascade-client';
import { ConfigWatcher } from '../../request/config-file/watch';
import { readEnv } from '../../env';
import { GatewayConfigError, resolveGatewayAuth } from '../../doors/gateway/auth';
import { startGatewayOnWorkers } from '../../doors/gateway/on-worker';
import {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_RESULT_TIMEOUT_MS,
  startGateway,
  type RunningGateway,
} from '../../doors/gateway/server';
import { isServerHealthy } from '../../temporal/dev-server';
import { installRuntime } from '../../temporal/runtime';
import { startWorkers, type RunningWorkers } from '../../temporal/worker';
import { cliPayloadCodec } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';
import { parsePort } from './worker';
import { nonEmptyArg } from '../args';

interface GatewayCommandOptions {
  config?: string;
  address?: string;
  namespace?: string;
  port?: string;
  host: string;
  withWorker?: boolean;
  /** false with --no-worker. */
  worker?: boolean;
  workflowBundle?: string;
  ledger?: string;
  bodyLimit?: string;
  timeout?: string;
  bodyTimeout?: string;
  taskQueue?: string;
  uiUrl?: string;
  /** false with --no-access-log. */
  accessLog?: boolean;
}

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0) {
    throw new CliError(`${name} must be a positive integer, got ${JSON.stringify(value)}`, EXIT.usage);
  }
  return n;
}

/** `cascade gateway`: the OpenAI-compatible HTTP front door (docs/gateway.md). */
export function registerGateway(program: Command): void {
  program
    .command('gateway')
    .description(
      'Serve the OpenAI-compatible gateway: POST /v1/chat/completions starts a cascade per request',
    )
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--port <port>', 'port (default: $CASCADE_GATEWAY_PORT or 8787; 0 = a free one)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '--no-worker',
      'do not run a worker in this process (by default one runs beside the gateway on one Temporal connection: eager workflow start, and lean requests finish in the task the start hands back)',
    )
    .option('--with-worker', 'the default (kept for older scripts)')
    .option('--workflow-bundle <file>', "the worker's prebuilt workflow bundle (default: bundle at start)")
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)', nonEmptyArg)
    .option('--ledger <url>', 'outcome ledger for feedback and spend caps (default: $CASCADE_LEDGER_URL)')
    .option('--body-limit <bytes>', 'largest request body (default: $CASCADE_GATEWAY_BODY_LIMIT or 1048576)')
    .option(
      '--timeout <ms>',
      `how long a request waits for its answer before a 504, Temporal outages included (default ${DEFAULT_RESULT_TIMEOUT_MS})`,
    )
    .option(
      '--body-timeout <ms>',
      `how long a request's headers and body may take to arrive before a 408 (default ${DEFAULT_BODY_TIMEOUT_MS})`,
    )
    .option('--task-queue <name>', 'the workflow task queue (default: cascade)')
    .option(
      '--ui-url <url>',
      'Temporal Web UI base of x-cascade-trace-url (default: $CASCADE_TEMPORAL_UI_URL)',
    )
    .option(
      '--no-access-log',
      'do not write the access log (by default one JSON line per request on stdout: method, route, status, duration, ids, bytes; never a token)',
    )
    .addHelpText(
      'after',
      `
Auth: bearer tokens from CASCADE_API_TOKENS=id:token[,id2:token2]; the id scopes the caller's
request ids (<id>:<Idempotency-Key>). Without tokens the gateway refuses to start (only
\`cascade dev\` on loopback runs it without auth).

Endpoints: POST /v1/chat/completions (model cascade/<task> or auto; stream: true streams the
checked answer), POST /v1/messages (the same, for Anthropic's SDKs), GET /v1/models,
POST /v1/feedback, DELETE /v1/requests/:id; without a token: GET /health (the process is up),
GET /ready (Temporal answers and a worker polls the task queue; else 503), GET /metrics.

Example:
  CASCADE_API_TOKENS=me:s3cret-token npx cascade gateway
  curl -s localhost:8787/v1/chat/completions -H 'authorization: Bearer s3cret-token' \\
    -H 'content-type: application/json' -H 'idempotency-key: q-1' \\
    -d '{"model":"cascade/mmlu","messages":[{"role":"user","content":"..."}]}'`,
    )
    .action(async (opts: GatewayCommandOptions) => {
      await runGateway(opts);
    });
}

async function runGateway(opts: GatewayCommandOptions): Promise<void> {
  const env = readEnv();
  const port = opts.port !== undefined ? parsePort('--port', opts.port) : env.gatewayPort;
  const bodyLimit =
    opts.bodyLimit !== undefined ? positiveInt('--body-limit', opts.bodyLimit) : env.gatewayBodyLimit;
  const resultTimeoutMs = opts.timeout !== undefined ? positiveInt('--timeout', opts.timeout) : undefined;
  const bodyTimeoutMs =
    opts.bodyTimeout !== undefined ? positiveInt('--body-timeout', opts.bodyTimeout) : undefined;
  let auth;
  try {
    ({ auth } = resolveGatewayAuth({ apiTokens: env.apiTokens, host: opts.host, allowDevNoAuth: false }));
  } catch (err) {
    if (err instanceof GatewayConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  const loaded = loadConfigForCli(opts.config);
  const address = opts.address ?? env.temporalAddress;
  const namespace = opts.namespace ?? loaded.config.temporal.namespace;
  const ledgerUrl = opts.ledger ?? env.ledgerUrl;
  const payloadCodec = cliPayloadCodec();
  if (!(await isServerHealthy(address, '5s'))) {
    throw new CliError(
      `Cannot reach the Temporal server at ${address}. Start one with \`npx cascade dev\` or set TEMPORAL_ADDRESS.`,
      EXIT.unavailable,
    );
  }
  const watcher = new ConfigWatcher(loaded.source, {
    onReload: (next) => process.stderr.write(`config reloaded: ${next.version}\n`),
    onError: (err) => process.stderr.write(`config edit ignored: ${err.message}\n`),
  });
  const common = {
    auth,
    namespace,
    uiBaseUrl: opts.uiUrl ?? env.temporalUiUrl,
    bodyLimit,
    resultTimeoutMs,
    bodyTimeoutMs,
    host: opts.host,
    port,
    // On unless --no-access-log: stdout carries only these lines (messages go to stderr).
    accessLog: opts.accessLog !== false,
  };
  let workers: RunningWorkers | undefined;
  let cascade: CascadeClient | undefined;
  let gateway: RunningGateway;
  try {
    if (opts.worker !== false) {
      installRuntime('WARN', {});
      workers = await startWorkers({
        config: () => watcher.current().config,
        calibrations: () => watcher.current().calibrations,
        address,
        namespace,
        ledgerUrl,
        taskQueue: opts.taskQueue,
        alertWebhookUrl: env.alertWebhookUrl,
        payloadCodec,
        workflowBundlePath: opts.workflowBundle,
      });
      gateway = await startGatewayOnWorkers({
        ...common,
        workers,
        config: () => watcher.current(),
        taskQueue: opts.taskQueue,
        payloadCodec,
      });
    } else {
      cascade = await CascadeClient.connect({
        config: () => watcher.current(),
        address,
        namespace,
        taskQueue: opts.taskQueue,
        ledgerUrl,
        payloadCodec,
      });
      gateway = await startGateway({ ...common, cascade, taskQueue: opts.taskQueue });
    }
  } catch (err) {
    await cascade?.close();
    await workers?.shutdown();
    watcher.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CliError(`port ${port} is in use: pass --port or set CASCADE_GATEWAY_PORT`, EXIT.usage);
    }
    throw err;
  }
  process.stderr.write(
    `gateway on ${gateway.url}/v1 (${address}/${namespace}, config ${loaded.version}` +
      `${workers ? ', with a worker: eager workflow start' : ''})\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('stopping ...\n');
  await gateway.close();
  await cascade?.close();
  await workers?.shutdown();
  watcher.close();
}
