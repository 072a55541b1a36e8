/**
 * The stack a benchmark runs on, all real and all on loopback:
 *
 *   startBenchTemporal()   a Temporal dev server of its own (the CLI resolved offline by
 *                          resolveTemporalCli, the Contracts' search attributes registered) and
 *                          the workflow code bundled once;
 *   connectBenchTemporal() the same on a server already running (the real server of
 *                          `npm run stack:real`), which it leaves running;
 *   startBenchStack()      on that server: the recorded-model server, a config pointing at it,
 *                          real workers (startWorkers) and a CascadeClient, plus the production
 *                          provider client for calling the same endpoints directly.
 *
 * The two are separate so one bench can run several model stacks (say, two recorded latency
 * scales) on one Temporal server, shutting each down before the next. Everything started is
 * stopped by close(), which runs every step even when one fails and is safe to call twice.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  type LogLevel,
  type NativeConnection,
} from '@temporalio/worker';
import { CascadeClient } from '../../src/doors/client/cascade-client';
import { loadConfig, validateConfig, type LoadedConfig } from '../../src/request/config-file/load';
import type { LimitsConfig, ModelConfig, RungConfig, TaskConfig } from '../../src/request/config/schema';
import { readEnv } from '../../src/env';
import { providerFor } from '../../src/request/providers/registry';
import type { ModelProvider } from '../../src/request/providers/types';
import {
  startRecordedServer,
  type RecordedServer,
  type RecordedServerOptions,
} from '../../src/tools/recorded-models/server';
import { resolveTemporalCli } from '../../src/temporal/cli-resolver';
import { assertSearchAttributes } from '../../src/temporal/search-attributes-setup';
import { devServerDynamicConfigArgs } from '../../src/temporal/dev-server-config';
import { startWorkers, type RunningWorkers } from '../../src/temporal/worker';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/workflows/search-attributes';
import { findPid } from './process-cpu';

export type Log = (line: string) => void;

/** Progress goes to stderr: stdout is the bench's figures (or its one JSON document). */
export const stderrLog: Log = (line) => process.stderr.write(`[bench] ${line}\n`);

let runtimeInstalled = false;

/**
 * Installs the process-wide Temporal runtime with a quiet logger (worker lifecycle INFO lines
 * would bury the figures). Must run before any worker, native connection or dev server exists.
 * The runtime's own signal handling is off: on Ctrl-C it would stop the workers at once, and
 * requests in flight would then wait for ever; a bench lets them finish and tears down itself.
 */
export function installQuietRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  try {
    Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
  } catch (err) {
    if (!/already/i.test(String(err))) throw err;
  }
  runtimeInstalled = true;
}

/** Runs every cleanup step, in order, even when one fails; throws the first failure at the end. */
async function runAll(steps: (() => Promise<unknown>)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

// ---------------------------------------------------------------------------------------------
// Temporal: dev server + workflow bundle

export interface BenchTemporalOptions {
  /** SQLite file of the dev server (WAL journal); default: in memory, gone at teardown. */
  dbFilename?: string;
  /** Dynamic config of the dev server, as KEY=JSON_VALUE (`--dynamic-config-value`). */
  dynamicConfig?: string[];
  /** More `temporal server start-dev` arguments. */
  extraArgs?: string[];
  log?: Log;
}

export interface BenchTemporal {
  address: string;
  namespace: string;
  /** The dev server's Prometheus endpoint (its own counters: RPCs by operation, ...). */
  metricsUrl: string;
  /** The dev server's process (its CPU time is read from /proc), or null where it cannot be found. */
  serverPid: number | null;
  /** The workflow bundle, built once, that every worker of the run loads. */
  workflowBundlePath: string;
  /** Where the CLI came from (for the report): e.g. "cache /path/to/temporal (temporal version 1.5.1 ...)". */
  cliDescription: string;
  close(): Promise<void>;
}

export async function startBenchTemporal(opts: BenchTemporalOptions = {}): Promise<BenchTemporal> {
  const log = opts.log ?? stderrLog;
  installQuietRuntime();
  const env = readEnv();
  const cli = await resolveTemporalCli({
    explicitPath: env.temporalCliPath,
    cacheDir: env.cacheDir,
    allowSdkDownload: true,
    log,
  });
  const cliDescription =
    cli.kind === 'path'
      ? `${cli.source} ${cli.path} (${cli.version})`
      : `SDK download into ${cli.downloadDir}`;
  log(`starting a Temporal dev server (${cliDescription})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bench-'));
  const removeDir = async () => fs.rmSync(dir, { recursive: true, force: true });
  const metricsPort = await freePort();
  let testEnv: TestWorkflowEnvironment;
  try {
    testEnv = await TestWorkflowEnvironment.createLocal({
      server: {
        executable:
          cli.kind === 'path'
            ? { type: 'existing-path', path: stdoutToStderr(cli.path, dir) }
            : { type: 'cached-download', downloadDir: cli.downloadDir },
        searchAttributes: ALL_SEARCH_ATTRIBUTES,
        ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
        extraArgs: [
          '--metrics-port',
          String(metricsPort),
          ...(opts.dbFilename ? ['--sqlite-pragma', 'journal_mode=WAL'] : []),
          // As `cascade dev` and the tests start it (src/temporal/dev-server-config.ts), plus the profile's.
          ...devServerDynamicConfigArgs(opts.dynamicConfig ?? []),
          ...(opts.extraArgs ?? []),
        ],
      },
    });
  } catch (err) {
    await removeDir();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= runAll([() => testEnv.teardown(), removeDir]));
  try {
    const workflowBundlePath = await bundleInto(dir, log);
    return {
      address: testEnv.address,
      namespace: testEnv.namespace ?? 'default',
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      // The metrics port is this server's alone: it finds the process among any others running.
      serverPid: findPid(['--metrics-port', String(metricsPort)]),
      workflowBundlePath,
      cliDescription,
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Bundles the workflow code once into `dir`; every worker of the run loads that file. */
async function bundleInto(dir: string, log: Log): Promise<string> {
  log('bundling the workflow code');
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/temporal/workflows/index.ts'),
    logger: {
      trace() {},
      debug() {},
      info() {},
      warn: (m: string) => log(`bundler: ${m}`),
      error: (m: string) => log(`bundler: ${m}`),
      log() {},
    } as never,
  });
  const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(workflowBundlePath, bundle.code);
  return workflowBundlePath;
}

export interface ExternalTemporalOptions {
  address: string;
  namespace: string;
  /** The server's Prometheus endpoint (its RPC and action counters). */
  metricsUrl: string;
  /** The server's process, for its CPU time; null when it is elsewhere or not known. */
  serverPid: number | null;
  log?: Log;
}

/**
 * A Temporal server this bench did not start and will not stop (the real server of `npm run
 * stack:real -- --server-only`): checked to answer and to have the Contracts' search attributes
 * on the namespace, then used exactly as a dev server of startBenchTemporal() is.
 */
export async function connectBenchTemporal(opts: ExternalTemporalOptions): Promise<BenchTemporal> {
  const log = opts.log ?? stderrLog;
  installQuietRuntime();
  const connection = await Connection.connect({ address: opts.address, connectTimeout: '5s' });
  try {
    const info = await connection.workflowService.getSystemInfo({});
    await assertSearchAttributes(connection, opts.namespace);
    log(`using the Temporal server at ${opts.address} (${info.serverVersion ?? 'version unknown'})`);
  } finally {
    await connection.close();
  }
  const res = await fetch(opts.metricsUrl).catch((err: unknown) => {
    throw new Error(`the server's metrics at ${opts.metricsUrl} do not answer: ${String(err)}`);
  });
  await res.arrayBuffer();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-bench-'));
  const removeDir = async () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    return {
      address: opts.address,
      namespace: opts.namespace,
      metricsUrl: opts.metricsUrl,
      serverPid: opts.serverPid,
      workflowBundlePath: await bundleInto(dir, log),
      cliDescription: `external server at ${opts.address}`,
      // The server is not ours: only the bundle goes.
      close: removeDir,
    };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/** A TCP port free on loopback right now (the dev server's metrics port, which it would otherwise pick at random). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The SDK starts the dev server with the parent's stdout, where the CLI prints its banner; a
 * bench's stdout is its figures (or one JSON document). So on POSIX the server runs through a
 * two-line wrapper that sends its stdout to stderr (`exec` keeps one process, so teardown
 * still stops the server itself).
 */
function stdoutToStderr(cliPath: string, dir: string): string {
  if (process.platform === 'win32') return cliPath;
  const wrapper = path.join(dir, 'temporal-stdout-to-stderr.sh');
  const quoted = `'${cliPath.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${quoted} "$@" 1>&2\n`, { mode: 0o755 });
  return wrapper;
}

// ---------------------------------------------------------------------------------------------
// A model stack on that server: recorded-model server, config, workers, clients

export interface BenchModel {
  /** USD per million tokens; default: the prices of the project's cascade.config.yaml. */
  pricing?: { inputPerMTok: number; outputPerMTok: number };
  /** Worker activity slots for this model's queue (the config's `concurrency`). Default 64. */
  concurrency?: number;
  timeoutMs?: number;
  logprobs?: boolean;
}

export interface BenchTask {
  route: TaskConfig['route'];
  execution?: TaskConfig['execution'];
  rungs: RungConfig[];
  responseSchema?: Record<string, unknown>;
  limits?: Partial<LimitsConfig>;
}

export interface BenchStackOptions {
  temporal: BenchTemporal;
  /** JSONL files of ../shared/data's shape, read where they lie. */
  dataFiles: string[];
  /** Models by the name the data records them under; the config's model id is the same name. */
  models: Record<string, BenchModel>;
  tasks: Record<string, BenchTask>;
  /** Recorded-model server knobs (latencyScale, concurrency, faults ...). */
  recorded?: Partial<Omit<RecordedServerOptions, 'dataFiles'>>;
  /** USD per Temporal action; default: the project's config (0.000025 in cascade.config.yaml). */
  costPerAction?: number;
  /** The project config prices come from; default CASCADE_CONFIG or cascade.config.yaml. */
  baseConfigPath?: string;
  log?: Log;
}

export interface BenchStack {
  /** Unique per stack: prefix workflow ids with it so a re-run never joins an earlier run's workflow. */
  runId: string;
  recorded: RecordedServer;
  config: LoadedConfig;
  client: Client;
  /** A client on the workers' NativeConnection: eager workflow start, as the gateway's. */
  cascade: CascadeClient;
  /** The workers' connection (another worker on it gets eager starts too: bench/overhead's floor). */
  workerConnection: NativeConnection;
  /** A client on a connection of its own: no eager start, as a service without a worker. */
  remoteCascade: CascadeClient;
  taskQueue: string;
  /** The production client (the one the worker's activities use) for a model, to call it directly. */
  provider(model: string): ModelProvider;
  close(): Promise<void>;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const log = opts.log ?? stderrLog;
  installQuietRuntime();
  const runId = `bench-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  const base = loadBaseConfig(opts.baseConfigPath);

  const recorded = await startRecordedServer({
    latencyScale: 0,
    concurrency: 64,
    ...opts.recorded,
    host: '127.0.0.1',
    dataFiles: opts.dataFiles,
  });
  const steps: (() => Promise<unknown>)[] = [() => recorded.close()];
  const close = async () => {
    // Reverse order of start: clients and workers before the endpoint they call.
    const todo = steps.splice(0).reverse();
    await runAll(todo);
  };
  try {
    const config = validateConfig(
      {
        temporal: {
          namespace: opts.temporal.namespace,
          costPerAction: opts.costPerAction ?? base?.config.temporal.costPerAction ?? 0.000025,
        },
        models: Object.fromEntries(
          Object.entries(opts.models).map(([name, m]) => [
            name,
            modelConfig(name, m, recorded.baseUrl, base?.config.models[name]),
          ]),
        ),
        tasks: opts.tasks,
      },
      `bench ${runId}`,
    );
    const taskQueue = `cascade-${runId}`;
    log(
      `starting workers on ${opts.temporal.address} (queue ${taskQueue}; models ${Object.keys(opts.models).join(', ')})`,
    );
    const workers: RunningWorkers = await startWorkers({
      config: config.config,
      calibrations: config.calibrations,
      address: opts.temporal.address,
      namespace: opts.temporal.namespace,
      workflowBundlePath: opts.temporal.workflowBundlePath,
      taskQueue,
      env: {},
    });
    steps.push(() => workers.shutdown());
    const connection = await Connection.connect({ address: opts.temporal.address });
    steps.push(() => connection.close());
    const client = new Client({ connection, namespace: opts.temporal.namespace });
    const remoteCascade = new CascadeClient({ client, config, taskQueue });
    const cascade = CascadeClient.onWorkers(workers, {
      config,
      namespace: opts.temporal.namespace,
      taskQueue,
    });
    const providers = new Map<string, ModelProvider>();
    return {
      runId,
      recorded,
      config,
      client,
      cascade,
      workerConnection: workers.connection,
      remoteCascade,
      taskQueue,
      provider(model) {
        let p = providers.get(model);
        if (!p) {
          // Built exactly as the worker builds its own (registry.createProvider).
          p = providerFor(model, config.config, {});
          providers.set(model, p);
        }
        return p;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

function loadBaseConfig(file: string | undefined): LoadedConfig | undefined {
  const configPath = file ?? readEnv().configPath;
  if (!fs.existsSync(configPath)) return undefined;
  return loadConfig(configPath);
}

function modelConfig(
  name: string,
  m: BenchModel,
  baseUrl: string,
  fromProject: ModelConfig | undefined,
): Record<string, unknown> {
  const pricing = m.pricing ?? fromProject?.pricing;
  if (!pricing) {
    throw new Error(
      `model "${name}" has no pricing: give one, or use a model that the project's config prices`,
    );
  }
  return {
    provider: 'openai-compatible',
    baseUrl,
    model: name,
    pricing,
    concurrency: m.concurrency ?? 64,
    ...(m.timeoutMs !== undefined ? { timeoutMs: m.timeoutMs } : {}),
    ...(m.logprobs !== undefined ? { logprobs: m.logprobs } : {}),
  };
}

/** Reads rows of a ../shared/data JSONL file (where it lies; never copied). */
export function readJsonlRows<T = Record<string, unknown>>(file: string): T[] {
  const rows: T[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push(JSON.parse(line) as T);
      } catch (err) {
        throw new Error(`${file}:${i + 1}: not JSON (${String(err)})`);
      }
    });
  return rows;
}
