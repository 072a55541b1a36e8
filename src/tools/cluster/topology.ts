/**
 * The compose stack's cascade services as processes on this machine: `cascade worker` replicas
 * (workflows, model queues, the monitors' schedule, ledger migrations at start) and `cascade
 * gateway --no-worker` replicas on ports of their own (a load balancer's backends), all the
 * compiled CLI (`bin/cascade.js`, as the image runs it), on one Temporal frontend and one ledger.
 *
 * The workflow code is bundled once, as the image does at build time (Dockerfile), and every
 * worker loads that bundle (--workflow-bundle). The ledger URL and the gateway tokens are
 * secrets: they reach the processes in their environment, never on a command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { httpOk, spawnChild, waitFor, type Child } from './child';
import { CASCADE_BIN, PROJECT_ROOT } from './paths';
import { freePort } from './ports';

export interface TopologyOptions {
  address: string;
  namespace: string;
  /** The cascade config every process reads (CASCADE_CONFIG). */
  configPath: string;
  /** A secret: given to each process in CASCADE_LEDGER_URL. */
  ledgerUrl: string;
  workers: number;
  /** One gateway per port (0 = a free one). */
  gatewayPorts: number[];
  /** `id:token,...` for CASCADE_API_TOKENS (a secret). */
  apiTokens: string;
  /** Where the bundle and the logs go. */
  runDir: string;
  /** The environment the processes start from (provider keys, ...); default this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface CascadeProcess {
  role: 'worker' | 'gateway';
  child: Child;
  /** The worker's cascade_* metrics, or the gateway's base URL (http://127.0.0.1:port). */
  url: string;
}

export interface RunningTopology {
  workers: CascadeProcess[];
  gateways: CascadeProcess[];
  workflowBundlePath: string;
  /** Starts one more worker (after a kill -9, or to scale out). */
  addWorker(): Promise<CascadeProcess>;
  stop(): Promise<void>;
}

export async function bundleWorkflows(runDir: string): Promise<string> {
  // The compiled workflows, exactly as the image bundles them (Dockerfile).
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(PROJECT_ROOT, 'dist', 'src', 'temporal', 'workflows')),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never,
  });
  const file = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(file, bundle.code);
  return file;
}

export async function startTopology(opts: TopologyOptions): Promise<RunningTopology> {
  const log = opts.log ?? (() => undefined);
  if (!fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    throw new Error('the compiled CLI is missing: run `npm run build` first');
  }
  log('bundling the workflow code (dist/src/temporal/workflows)');
  const workflowBundlePath = await bundleWorkflows(opts.runDir);
  const env: NodeJS.ProcessEnv = {
    ...(opts.baseEnv ?? process.env),
    TEMPORAL_ADDRESS: opts.address,
    TEMPORAL_NAMESPACE: opts.namespace,
    CASCADE_CONFIG: opts.configPath,
    CASCADE_LEDGER_URL: opts.ledgerUrl,
  };
  const started: CascadeProcess[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Gateways first: no new requests while the workers finish theirs.
      const order = [
        ...started.filter((p) => p.role === 'gateway'),
        ...started.filter((p) => p.role === 'worker'),
      ];
      for (const p of order) await p.child.stop(60_000);
    })());

  const addWorker = async (): Promise<CascadeProcess> => {
    const n = started.filter((p) => p.role === 'worker').length + 1;
    const metricsPort = await freePort();
    const child = spawnChild({
      name: `cascade worker ${n}`,
      command: process.execPath,
      args: [
        CASCADE_BIN,
        'worker',
        '--namespace',
        opts.namespace,
        '--workflow-bundle',
        workflowBundlePath,
        '--metrics-port',
        String(metricsPort),
        '--sdk-metrics-port',
        String(await freePort()),
      ],
      env,
      cwd: PROJECT_ROOT,
      logFile: path.join(opts.runDir, `worker-${n}.log`),
    });
    const p: CascadeProcess = { role: 'worker', child, url: `http://127.0.0.1:${metricsPort}/metrics` };
    started.push(p);
    // It prints its metrics endpoint once the ledger is open and every worker polls.
    await waitFor(child, 'polling', () => /^metrics: /m.test(child.tail(200)), 120_000);
    log(`worker ${n}: pid ${child.pid}, metrics ${p.url}`);
    return p;
  };

  try {
    for (let i = 0; i < opts.workers; i++) await addWorker();
    for (const [i, requested] of opts.gatewayPorts.entries()) {
      const port = requested || (await freePort());
      const child = spawnChild({
        name: `cascade gateway ${i + 1}`,
        command: process.execPath,
        args: [CASCADE_BIN, 'gateway', '--no-worker', '--namespace', opts.namespace, '--port', String(port)],
        env: { ...env, CASCADE_API_TOKENS: opts.apiTokens },
        cwd: PROJECT_ROOT,
        logFile: path.join(opts.runDir, `gateway-${i + 1}.log`),
      });
      const url = `http://127.0.0.1:${port}`;
      started.push({ role: 'gateway', child, url });
      // /ready: Temporal answers and a worker polls the task queue.
      await waitFor(child, 'ready', () => httpOk(`${url}/ready`), 120_000);
      log(`gateway ${i + 1}: pid ${child.pid}, ${url}/v1`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    get workers() {
      return started.filter((p) => p.role === 'worker');
    },
    get gateways() {
      return started.filter((p) => p.role === 'gateway');
    },
    workflowBundlePath,
    addWorker,
    stop,
  };
}
