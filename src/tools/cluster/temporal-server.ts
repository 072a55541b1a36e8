/**
 * The real Temporal server's processes on this machine, started exactly as the compose stack
 * starts its `temporal` service: deploy/temporal/scripts/start-server.sh with the project's
 * config folder (deploy/temporal/config) and dynamic config file, the settings in the
 * environment. By default one process runs the four services (frontend, history, matching,
 * worker), as in the compose stack; `processes` splits them, one group per process, as a
 * cluster that scales each service apart does (they find each other through the membership
 * table in PostgreSQL).
 *
 * The frontend listens where asked; every other port (internal gRPC, membership, metrics) is a
 * free one, so this runs beside a dev server on 7233 and beside another copy of itself.
 */
import path from 'node:path';
import { isServerHealthy } from '../../temporal/dev-server';
import { httpOk, spawnChild, waitFor, type Child } from './child';
import { DEPLOY_TEMPORAL_DIR, DYNAMIC_CONFIG_FILE, PROJECT_ROOT, SERVER_CONFIG_DIR } from './paths';
import { freePort } from './ports';
import type { ServerBinaries } from './server-build';
import type { TemporalDatabases } from './postgres';

export const ALL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceName = (typeof ALL_SERVICES)[number];

export interface TemporalServerOptions {
  binaries: ServerBinaries;
  /** The frontend's gRPC port on 127.0.0.1 (the address clients and workers use). */
  frontendPort: number;
  /** History shards: fixed when the cluster's database is created (a later start must match). */
  shards: number;
  postgres: TemporalDatabases;
  /** Services per process; default one process with all four, as the compose stack runs them. */
  processes?: ServiceName[][];
  /** Where each process's log goes (<dir>/temporal-<services>.log). */
  logDir: string;
  logLevel?: string;
  /** The dynamic config file; default the compose stack's (deploy/temporal/dynamicconfig). */
  dynamicConfigFile?: string;
}

export interface RunningTemporalServer {
  /** host:port of the frontend. */
  address: string;
  processes: { services: ServiceName[]; child: Child; metricsUrl: string }[];
  /** Stops every process (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

export async function startTemporalServer(opts: TemporalServerOptions): Promise<RunningTemporalServer> {
  const groups = opts.processes ?? [[...ALL_SERVICES]];
  const covered = new Set(groups.flat());
  const missing = ALL_SERVICES.filter((s) => !covered.has(s));
  if (missing.length) throw new Error(`no process runs ${missing.join(', ')}`);

  // Every process of the cluster renders the same config, so all of them get the same ports.
  const port = async () => String(await freePort());
  const shared: NodeJS.ProcessEnv = {
    NUM_HISTORY_SHARDS: String(opts.shards),
    POSTGRES_SEEDS: opts.postgres.host,
    DB_PORT: String(opts.postgres.port),
    POSTGRES_USER: opts.postgres.user,
    POSTGRES_PWD: opts.postgres.password,
    DBNAME: opts.postgres.database,
    VISIBILITY_DBNAME: opts.postgres.visibilityDatabase,
    DYNAMIC_CONFIG_FILE_PATH: opts.dynamicConfigFile ?? DYNAMIC_CONFIG_FILE,
    TEMPORAL_CONFIG_DIR: SERVER_CONFIG_DIR,
    TEMPORAL_SERVER_BIN: opts.binaries.server,
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    LOG_LEVEL: opts.logLevel ?? 'warn',
    FRONTEND_GRPC_PORT: String(opts.frontendPort),
    FRONTEND_HTTP_PORT: await port(),
    FRONTEND_MEMBERSHIP_PORT: await port(),
    HISTORY_GRPC_PORT: await port(),
    HISTORY_MEMBERSHIP_PORT: await port(),
    MATCHING_GRPC_PORT: await port(),
    MATCHING_MEMBERSHIP_PORT: await port(),
    WORKER_GRPC_PORT: await port(),
    WORKER_MEMBERSHIP_PORT: await port(),
  };
  const address = `127.0.0.1:${opts.frontendPort}`;
  const processes: RunningTemporalServer['processes'] = [];
  let stopping: Promise<void> | undefined;
  // Frontends last: the services they route to are up first, and last to go on the way down.
  const stop = () =>
    (stopping ??= (async () => {
      for (const p of [...processes].reverse()) await p.child.stop();
    })());
  try {
    for (const services of groups) {
      const metricsPort = await freePort();
      // Only PATH and HOME from this process: the server needs nothing else, and a secret of the
      // caller's (a provider key) has no business in its environment.
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...shared,
        TEMPORAL_SERVICES: services.join(','),
        PROMETHEUS_ENDPOINT: `127.0.0.1:${metricsPort}`,
      };
      const child = spawnChild({
        name: `temporal-server (${services.join(', ')})`,
        command: '/bin/sh',
        args: [path.join(DEPLOY_TEMPORAL_DIR, 'scripts', 'start-server.sh')],
        env,
        cwd: PROJECT_ROOT,
        logFile: path.join(opts.logDir, `temporal-${services.join('-')}.log`),
      });
      processes.push({ services, child, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
      // Every service process writes the cluster's metadata on an empty database as it starts;
      // started together they race (one exits: "SaveClusterMetadata encountered version
      // mismatch"). The first runs alone until it serves metrics, which it does only once its
      // start (the metadata written) is done; the others find the record there.
      if (processes.length === 1 && groups.length > 1) {
        await waitFor(child, 'serving metrics', () => httpOk(processes[0]!.metricsUrl), 120_000);
      }
    }
    const frontend = processes.find((p) => p.services.includes('frontend'))!;
    // The first start on an empty database creates the shards: allow it time on two cores.
    await waitFor(frontend.child, `answering on ${address}`, () => isServerHealthy(address), 120_000);
    for (const p of processes) {
      await waitFor(p.child, 'serving metrics', () => httpOk(p.metricsUrl), 60_000);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, processes, stop };
}
