/**
 * The real Temporal server for a bench (issue 18): temporal-server 1.29.1 on PostgreSQL, set up
 * by src/tools/cluster/ exactly as `npm run stack:real` sets it up (the compose stack's config, schema
 * and namespace steps), on databases of the bench's own, and the figures a bench reads from it:
 *
 *   startBenchPostgres()    CASCADE_TEST_PG_URL when set (left running), else a throwaway
 *                           cluster from .ci/postgres.sh (removed at close), and the CPU time of
 *                           all its processes from /proc;
 *   startBenchRealServer()  the server's processes (one running all four services, or one per
 *                           service), their metrics endpoints and pids; databases dropped at close.
 *
 * Linux only (/proc). The server binary is the cached build (`npm run stack:real -- --build-only`
 * makes it; a bench builds it when missing, as stack:real does).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startLocalPostgres } from '../../src/tools/cluster/local-postgres';
import { dropDatabases } from '../../src/tools/cluster/postgres';
import { startRealCluster, type RealCluster } from '../../src/tools/cluster/real-cluster';
import { resolveServerBinaries } from '../../src/tools/cluster/server-build';
import { ALL_SERVICES, type ServiceName } from '../../src/tools/cluster/temporal-server';
import { readEnv } from '../../src/env';
import { resolveTemporalCli } from '../../src/temporal/cli-resolver';
import { findPid } from './process-cpu';
import { scrape, type ServerCounters } from './server-metrics';

export interface BenchPostgres {
  /** A role that may create roles and databases (a secret: never printed). */
  adminUrl: string;
  /** CPU seconds of the postmaster and every backend, live or exited (null: not found in /proc). */
  cpuSeconds(): number | null;
  close(): Promise<void>;
}

/** utime, stime, cutime, cstime and ppid of a process (seconds), or null when it is gone. */
function stat(pid: number): { self: number; children: number; ppid: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields 4 (ppid), 14-17 (utime, stime, cutime, cstime) counted from 1; f[0] is field 3.
  return {
    ppid: Number(f[1]),
    self: (Number(f[11]) + Number(f[12])) / 100,
    children: (Number(f[13]) + Number(f[14])) / 100,
  };
}

/**
 * A PostgreSQL cluster's CPU time: the postmaster's own and its waited-for children's (backends
 * that have exited), plus each live child's (backends, the checkpointer, the WAL writer, ...).
 */
export function postgresCpuSeconds(postmasterPid: number): number | null {
  const root = stat(postmasterPid);
  if (!root) return null;
  let total = root.self + root.children;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    if (s && s.ppid === postmasterPid) total += s.self;
  }
  return total;
}

export async function startBenchPostgres(log: (line: string) => void): Promise<BenchPostgres> {
  const given = process.env.CASCADE_TEST_PG_URL;
  let adminUrl: string;
  let close = async () => undefined as unknown;
  if (given) {
    adminUrl = given;
    log('PostgreSQL: CASCADE_TEST_PG_URL (databases of this run, dropped at the end)');
  } else {
    log('PostgreSQL: a throwaway cluster (.ci/postgres.sh)');
    const pg = await startLocalPostgres();
    adminUrl = pg.adminUrl;
    close = () => pg.stop();
  }
  // The postmaster is the process started with `-p <port>` (.ci/postgres.sh passes it so).
  const port = new URL(adminUrl).port || '5432';
  const postmaster = findPid(['-p', port]) ?? findPid([`-p ${port}`]);
  if (postmaster === null) log(`PostgreSQL on port ${port}: postmaster not found in /proc, no CPU figures`);
  return {
    adminUrl,
    cpuSeconds: () => (postmaster === null ? null : postgresCpuSeconds(postmaster)),
    close: async () => {
      await close();
    },
  };
}

export interface BenchRealServerOptions {
  postgres: BenchPostgres;
  frontendPort: number;
  namespace: string;
  shards: number;
  /** One server process per service instead of one running all four. */
  splitServices?: boolean;
  /** A dynamic config file instead of the compose stack's. */
  dynamicConfigFile?: string;
  /** Where the logs go. */
  dir: string;
  log: (line: string) => void;
}

export interface BenchRealServer {
  address: string;
  namespace: string;
  cluster: RealCluster;
  processes: { services: ServiceName[]; pid: number; metricsUrl: string }[];
  /** Billable actions and frontend RPCs, summed over the server's processes. */
  counters(): Promise<ServerCounters>;
  /** CPU seconds of the server's processes (PostgreSQL apart). */
  cpuSeconds(): number;
  /** The stopped server's databases are dropped too. */
  close(): Promise<void>;
}

export async function startBenchRealServer(opts: BenchRealServerOptions): Promise<BenchRealServer> {
  const env = readEnv();
  const binaries = await resolveServerBinaries({ cacheDir: env.cacheDir, log: opts.log });
  const cli = await resolveTemporalCli({ explicitPath: env.temporalCliPath, cacheDir: env.cacheDir });
  if (cli.kind !== 'path') throw new Error('no Temporal CLI for create-namespace.sh');
  const suffix = `b_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const databases = {
    temporal: `temporal_${suffix}`,
    visibility: `temporal_visibility_${suffix}`,
    ledger: `cascade_ledger_${suffix}`,
  };
  fs.mkdirSync(opts.dir, { recursive: true });
  let cluster: RealCluster;
  try {
    cluster = await startRealCluster({
      binaries,
      temporalCliPath: cli.path,
      postgresAdminUrl: opts.postgres.adminUrl,
      frontendPort: opts.frontendPort,
      shards: opts.shards,
      namespace: opts.namespace,
      databases,
      processes: opts.splitServices ? ALL_SERVICES.map((s) => [s]) : undefined,
      dynamicConfigFile: opts.dynamicConfigFile,
      logDir: opts.dir,
      log: opts.log,
    });
  } catch (err) {
    await dropDatabases(opts.postgres.adminUrl, Object.values(databases)).catch(() => undefined);
    throw err;
  }
  const processes = cluster.server.processes.map((p) => ({
    services: p.services,
    pid: p.child.pid,
    metricsUrl: p.metricsUrl,
  }));
  let closing: Promise<void> | undefined;
  return {
    address: cluster.address,
    namespace: opts.namespace,
    cluster,
    processes,
    async counters() {
      const all = await Promise.all(processes.map((p) => scrape(p.metricsUrl, opts.namespace)));
      const sum = (key: 'requests' | 'actions') => {
        const out = new Map<string, number>();
        for (const c of all) for (const [k, v] of c[key]) out.set(k, (out.get(k) ?? 0) + v);
        return out;
      };
      return { requests: sum('requests'), actions: sum('actions') };
    },
    cpuSeconds() {
      let total = 0;
      for (const p of processes) {
        const s = stat(p.pid);
        if (s) total += s.self + s.children;
      }
      return total;
    },
    close: () =>
      (closing ??= (async () => {
        await cluster.stop();
        await dropDatabases(opts.postgres.adminUrl, Object.values(databases)).catch(() => undefined);
      })()),
  };
}

/** A dynamic config file: the compose stack's with `overrides` (key -> value) in place of its keys. */
export function dynamicConfigWith(
  base: string,
  overrides: Record<string, unknown>,
  dir: string,
  name = 'dynamicconfig.yaml',
): string {
  const lines = fs.readFileSync(base, 'utf8').split('\n');
  const out: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const key = /^([A-Za-z][\w.]*):\s*$/.exec(line)?.[1];
    if (key !== undefined) skipping = Object.hasOwn(overrides, key);
    else if (!/^\s/.test(line)) skipping = false;
    if (!skipping) out.push(line);
  }
  for (const [key, value] of Object.entries(overrides)) {
    out.push(`${key}:`, `  - value: ${JSON.stringify(value)}`);
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, out.join('\n') + '\n');
  return file;
}
