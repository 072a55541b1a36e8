/**
 * `npm run stack:real`: the production topology of docker-compose.yml as processes on this
 * machine, without Docker: the real Temporal server (built once with `go install`, cached in
 * .cascade/temporal-server/) on PostgreSQL with the compose stack's own config, schema and
 * namespace steps, then two `cascade worker` and two `cascade gateway --no-worker` processes
 * with the ledger on the same PostgreSQL, and the recorded-model server the default config
 * calls. Prints READY when all is up, restarts a process that dies (as the compose stack does),
 * and Ctrl-C stops everything it started. docs/deploy.md, "The production topology on one
 * machine, without Docker".
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../request/config-file/load';
import { demoSet } from '../demo/demo-set';
import { readEnv } from '../../env';
import { startRecordedServer, type RecordedServer } from '../recorded-models/server';
import { resolveTemporalCli } from '../../temporal/cli-resolver';
import type { Child } from './child';
import { startLocalPostgres, type LocalPostgres } from './local-postgres';
import { portTaken } from './ports';
import { startRealCluster, type RealCluster } from './real-cluster';
import { resolveServerBinaries, TEMPORAL_SERVER_VERSION } from './server-build';
import { ALL_SERVICES } from './temporal-server';
import { startTopology, type RunningTopology } from './topology';
import { resolveUi, startUi, type UiBinary } from './ui';

const USAGE = `usage: npm run stack:real -- [options]

  --port N              the Temporal frontend's port on 127.0.0.1; default 7233
  --shards N            history shards (fixed when the database is created); default 4
  --split-services      one server process per service (frontend, history, matching, worker)
                        instead of one process running all four, as the compose stack does
  --postgres URL        a PostgreSQL role that may create roles and databases; default: a
                        throwaway cluster (.ci/postgres.sh), removed at exit
  --config FILE         the cascade config; default $CASCADE_CONFIG or cascade.config.yaml
  --namespace NAME      default: the config's temporal.namespace
  --workers N           cascade worker processes; default 2
  --gateway-ports LIST  one cascade gateway --no-worker per port; default 8787,8797
  --server-only         the Temporal cluster alone, no cascade process
  --no-recorded         do not start the recorded-model server on 8788 (the default config's models)
  --ui-port N           the Temporal Web UI (built once with go install, like the server); default 8233
  --no-ui               no Web UI
  --build-only          build (or find) the server and its schema tool, print their paths, exit
  -h, --help`;

function log(line: string): void {
  process.stderr.write(`[stack:real] ${line}\n`);
}

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '7233' },
      shards: { type: 'string', default: '4' },
      'split-services': { type: 'boolean', default: false },
      postgres: { type: 'string' },
      config: { type: 'string' },
      namespace: { type: 'string' },
      workers: { type: 'string', default: '2' },
      'gateway-ports': { type: 'string', default: '8787,8797' },
      'server-only': { type: 'boolean', default: false },
      'no-recorded': { type: 'boolean', default: false },
      'ui-port': { type: 'string', default: '8233' },
      'no-ui': { type: 'boolean', default: false },
      'build-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const env = readEnv();
  const started = Date.now();
  const binaries = await resolveServerBinaries({ cacheDir: env.cacheDir, log });
  log(`temporal-server ${TEMPORAL_SERVER_VERSION}: ${binaries.server} (${binaries.source})`);
  if (values['build-only']) {
    process.stdout.write(`${binaries.server}\n${binaries.sqlTool}\n`);
    return 0;
  }
  // The UI is a convenience: a failed build is reported and the stack runs without it.
  let ui: UiBinary | undefined;
  if (!values['no-ui']) {
    ui = await resolveUi({ cacheDir: env.cacheDir, log }).catch((err: unknown) => {
      log(`no Web UI: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
  }
  const uiPort = int('ui-port', values['ui-port'], 1);

  const frontendPort = int('port', values.port, 1);
  if (await portTaken(frontendPort)) {
    throw new Error(`port ${frontendPort} is taken (a dev server?): pass --port`);
  }
  const shards = int('shards', values.shards, 1);
  const workers = int('workers', values.workers, 1);
  const gatewayPorts = values['gateway-ports'].split(',').map((p) => int('gateway-ports', p.trim(), 0));
  const configPath = path.resolve(values.config ?? env.configPath);
  const namespace = values.namespace ?? loadConfig(configPath).config.temporal.namespace;
  const runDir = path.join(env.cacheDir, 'stack-real');
  fs.mkdirSync(runDir, { recursive: true });

  const cli = await resolveTemporalCli({ explicitPath: env.temporalCliPath, cacheDir: env.cacheDir, log });
  if (cli.kind !== 'path') throw new Error('no Temporal CLI for create-namespace.sh');

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((err) => log(`stop: ${String(err)}`));
  };
  let stopRequested = false;
  // Handlers stay installed while the stack stops: a second Ctrl-C (or the SIGINT a wrapper such
  // as tsx forwards on top of the terminal's) must not kill this process half-way, which would
  // leave the rest of the stack running with nobody to stop it.
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopRequested) log('already stopping: every process started is being stopped');
      stopRequested = true;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    let pg: LocalPostgres | undefined;
    let adminUrl = values.postgres;
    if (!adminUrl) {
      log('starting a throwaway PostgreSQL (.ci/postgres.sh)');
      pg = await startLocalPostgres();
      cleanups.push(() => pg!.stop());
      adminUrl = pg.adminUrl;
    }
    const cluster: RealCluster = await startRealCluster({
      binaries,
      temporalCliPath: cli.path,
      postgresAdminUrl: adminUrl,
      frontendPort,
      shards,
      namespace,
      processes: values['split-services'] ? ALL_SERVICES.map((s) => [s]) : undefined,
      logDir: runDir,
      log,
    });
    cleanups.push(() => cluster.stop());
    let uiUrl: string | undefined;
    const extra: { child: Child }[] = [];
    if (ui && (await portTaken(uiPort))) {
      log(`no Web UI: port ${uiPort} is taken (a dev server's UI?); pass --ui-port`);
    } else if (ui) {
      const running = await startUi({
        ui,
        address: cluster.address,
        port: uiPort,
        namespace,
        logDir: runDir,
      });
      cleanups.push(() => running.child.stop());
      extra.push(running);
      uiUrl = running.url;
    }

    let topology: RunningTopology | undefined;
    let recorded: RecordedServer | undefined;
    let tokenFile: string | undefined;
    if (!values['server-only'] && !stopRequested) {
      if (!values['no-recorded']) {
        const set = demoSet({ sharedDataDir: env.sharedDataDir, runId: 'stack-real' });
        recorded = await startRecordedServer({
          dataFiles: set.dataFiles,
          port: env.recordedPort,
          latencyScale: 1,
        });
        cleanups.push(() => recorded!.close());
        log(`recorded-model server: ${recorded.baseUrl} (${set.source} data)`);
      }
      // The gateways' bearer token: in a file only its owner reads, never printed.
      tokenFile = path.join(runDir, 'gateway-token');
      const token = randomBytes(24).toString('hex');
      fs.writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
      topology = await startTopology({
        address: cluster.address,
        namespace,
        configPath,
        ledgerUrl: cluster.ledgerUrl,
        workers,
        gatewayPorts,
        apiTokens: `local:${token}`,
        runDir,
        log,
      });
      cleanups.push(() => topology!.stop());
    }

    // Ctrl-C during the start: everything started so far stops, and no READY is printed.
    if (stopRequested) return 130;
    const lines = [
      `Temporal ${TEMPORAL_SERVER_VERSION} on PostgreSQL: ${cluster.address}, namespace ${namespace}, ${shards} shards`,
      ...cluster.server.processes.map(
        (p) =>
          `  ${p.services.join('+')}: pid ${p.child.pid}, metrics ${p.metricsUrl}, log ${p.child.logFile}`,
      ),
      ...(topology
        ? [
            ...topology.workers.map((w) => `  cascade worker: pid ${w.child.pid}, log ${w.child.logFile}`),
            ...topology.gateways.map((g) => `  cascade gateway: ${g.url}/v1 (pid ${g.child.pid})`),
            `  gateway token: in ${tokenFile} (Authorization: Bearer $(cat ${tokenFile}))`,
          ]
        : []),
      ...(uiUrl ? [`  Web UI: ${uiUrl}/namespaces/${namespace}/workflows`] : []),
      `  TEMPORAL_ADDRESS=${cluster.address} TEMPORAL_NAMESPACE=${namespace} npx cascade ...`,
      `up in ${Math.round((Date.now() - started) / 1000)} s; Ctrl-C stops everything`,
    ];
    process.stdout.write(`${lines.join('\n')}\nREADY\n`);

    return await supervise(
      [
        ...cluster.server.processes,
        ...extra,
        ...(topology ? [...topology.workers, ...topology.gateways] : []),
      ],
      stopped,
      () => stopRequested,
    );
  } finally {
    log('stopping');
    await cleanup();
    log('stopped');
  }
}

/**
 * Serves until Ctrl-C, restarting a process of the stack that dies, as the compose stack's
 * `restart: unless-stopped` does: a kill -9 of a worker or a server process with requests in
 * flight is then a resilience test run by hand. A process that keeps dying (5 times within a
 * minute) stops the whole stack instead, naming its log.
 */
async function supervise(
  processes: { child: Child }[],
  stopped: Promise<void>,
  stopping: () => boolean,
): Promise<number> {
  const deaths = new Map<{ child: Child }, number[]>();
  for (;;) {
    const dead = await Promise.race([
      stopped.then(() => undefined),
      ...processes.map((p) => p.child.done.then(() => p)),
    ]);
    if (!dead || stopping()) return 0;
    const now = Date.now();
    const recent = [...(deaths.get(dead) ?? []), now].filter((t) => now - t < 60_000);
    deaths.set(dead, recent);
    const { child } = dead;
    if (recent.length >= 5) {
      log(`${child.name} keeps exiting (${child.exited()}); stopping the stack. Its log: ${child.logFile}`);
      return 1;
    }
    log(`${child.name} (pid ${child.pid}) exited (${child.exited()}); restarting it`);
    dead.child = child.respawn();
    log(`${child.name}: pid ${dead.child.pid}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`stack:real: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
