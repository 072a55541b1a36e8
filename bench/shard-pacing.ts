/**
 * bench/shard-pacing: does the history service's per-shard queue pacing explain the real
 * server's longer dispatch waits under load (bench/README.md, "production topology")? One run,
 * the same overhead cell (by default durable-cascade at c=8, latency x0) on each variant:
 *
 *   dev            the dev server as `cascade dev` runs it (1 shard, pacing lifted to 2000 reads/s)
 *   real-4         the real server, 4 shards, the compose stack's dynamic config (pacing 20 reads/s
 *                  per shard queue, the server's default)
 *   real-4-lifted  the same with the pacing lifted as on the dev server (2000 reads/s)
 *   real-many      N shards (--shards-many), the compose stack's dynamic config
 *   real-4-one-partition  4 shards, pacing 20/s, each task queue in one partition instead of the
 *                  server's default 4 (matching.numTaskqueueRead/WritePartitions), as on the dev server
 *
 * Each real variant is a fresh temporal-server 1.29.1 on databases of its own in one PostgreSQL,
 * started, measured by bench/overhead.ts (`--server external`, in a child process) and stopped
 * before the next. Prints one table: latency, throughput, actions per request (the server's own
 * counter) and where the sampled requests' time went (`wft queue`, `act queue`, ...). Never
 * passes or fails on figures. Linux only. `npm run bench:shard-pacing -- --help`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DYNAMIC_CONFIG_FILE, PROJECT_ROOT } from '../src/tools/cluster/paths';
import { freePort } from '../src/tools/cluster/ports';
import type { Cell } from './overhead/cell';
import { dynamicConfigWith, startBenchPostgres, startBenchRealServer } from './lib/real-server';
import { stderrLog as log } from './lib/stack';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:shard-pacing -- [options]

  --variants LIST     of dev, real-4, real-4-lifted, real-many, real-4-one-partition; default
                      dev,real-4,real-4-lifted,real-many,real-4-one-partition
  --shards-many N     the shards of real-many; default 64
  --mode M            the overhead bench's mode; default durable-cascade
  --concurrency N     default 8
  --requests N        measured requests per variant; default 60
  --warmup N          default 10
  --history-samples N requests whose history is read for the time breakdown; default 10
  --latency-scale X   default 0
  --json              one JSON document on stdout
  -h, --help`;

const LIFTED = {
  'history.transferProcessorMaxPollRPS': 2000,
  'history.timerProcessorMaxPollRPS': 2000,
  'history.visibilityProcessorMaxPollRPS': 2000,
};

const ONE_PARTITION = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

const load1 = () => Math.round(os.loadavg()[0]! * 100) / 100;

/** bench/overhead.ts --json in a child process; its one cell. */
function overhead(args: string[]): Promise<Cell> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'overhead.ts'), ...args, '--json'],
    {
      cwd: PROJECT_ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(d);
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/overhead exited ${code}: ${stderr.slice(-2000)}`));
      const doc = JSON.parse(stdout) as { cells: Cell[] };
      const cell = doc.cells.find((c) => c.mode !== 'direct');
      if (!cell) return reject(new Error('bench/overhead printed no workflow cell'));
      resolve(cell);
    }),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      variants: { type: 'string', default: 'dev,real-4,real-4-lifted,real-many,real-4-one-partition' },
      'shards-many': { type: 'string', default: '64' },
      mode: { type: 'string', default: 'durable-cascade' },
      concurrency: { type: 'string', default: '8' },
      requests: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '10' },
      'history-samples': { type: 'string', default: '10' },
      'latency-scale': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const variants = values.variants.split(',').map((v) => v.trim());
  const known = ['dev', 'real-4', 'real-4-lifted', 'real-many', 'real-4-one-partition'];
  for (const v of variants)
    if (!known.includes(v)) throw new Error(`--variants takes ${known.join(', ')}; got "${v}"`);
  const many = Number(values['shards-many']);
  if (!Number.isInteger(many) || many < 1) throw new Error('--shards-many takes a whole number >= 1');
  const common = [
    '--modes',
    values.mode,
    '--concurrency',
    values.concurrency,
    '--requests',
    values.requests,
    '--warmup',
    values.warmup,
    '--history-samples',
    values['history-samples'],
    '--latency-scale',
    values['latency-scale'],
  ];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-shard-pacing-'));
  const started = new Date();
  const loadAtStart = load1();
  const rows: { variant: string; describe: string; cell: Cell; load: string }[] = [];
  const needsPg = variants.some((v) => v.startsWith('real'));
  const pg = needsPg ? await startBenchPostgres(log) : undefined;
  try {
    for (const variant of variants) {
      const atStart = load1();
      if (variant === 'dev') {
        log('dev: the dev server as `cascade dev` runs it');
        const cell = await overhead(['--server', 'default', ...common]);
        rows.push({ variant, describe: '1 shard, pacing 2000/s', cell, load: `${atStart}-${load1()}` });
        continue;
      }
      const shards = variant === 'real-many' ? many : 4;
      const lifted = variant === 'real-4-lifted';
      const onePartition = variant === 'real-4-one-partition';
      const describe = `${shards} shards, pacing ${lifted ? 2000 : 20}/s${onePartition ? ', 1 partition' : ''}`;
      const vdir = path.join(dir, variant);
      fs.mkdirSync(vdir, { recursive: true });
      const overrides = lifted ? LIFTED : onePartition ? ONE_PARTITION : undefined;
      const server = await startBenchRealServer({
        postgres: pg!,
        frontendPort: await freePort(),
        namespace: 'cascade',
        shards,
        dynamicConfigFile: overrides ? dynamicConfigWith(DYNAMIC_CONFIG_FILE, overrides, vdir) : undefined,
        dir: vdir,
        log,
      });
      try {
        const p = server.processes[0]!;
        log(`${variant}: ${describe}, on ${server.address}`);
        const cell = await overhead([
          '--server',
          'external',
          '--temporal-address',
          server.address,
          '--temporal-namespace',
          server.namespace,
          '--temporal-metrics',
          p.metricsUrl,
          '--temporal-pid',
          String(p.pid),
          ...common,
        ]);
        rows.push({ variant, describe, cell, load: `${atStart}-${load1()}` });
      } finally {
        await server.close();
      }
    }
  } finally {
    await pg?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const finished = new Date();
  if (values.json) {
    process.stdout.write(
      JSON.stringify(
        {
          bench: 'shard-pacing',
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          loadAverage1m: { atStart: loadAtStart, atEnd: load1() },
          options: values,
          rows,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const b = (c: Cell, k: 'wftQueue' | 'wftRun' | 'activityQueue' | 'activityRun') =>
    fmt(c.breakdown?.phasesMs[k]);
  process.stdout.write(
    `bench/shard-pacing ${started.toISOString()} (${Math.round((finished.getTime() - started.getTime()) / 1000)} s): ` +
      `${os.cpus().length} cores, ${os.cpus()[0]?.model}; load average (1 min) ${loadAtStart} at start, ${load1()} at end\n` +
      `${values.mode} at c=${values.concurrency}, latency x${values['latency-scale']}, ${values.requests} requests ` +
      `after ${values.warmup} warm-up; time breakdown: means over ${values['history-samples']} sampled histories\n\n` +
      formatTable(
        [
          'variant',
          'server',
          'p50 ms',
          'p99 ms',
          'req/s',
          'errors',
          'actions/req',
          'wft queue',
          'wft run',
          'act queue',
          'act run',
          'srv cpu ms/req',
          'load',
        ],
        rows.map(({ variant, describe, cell, load }) => [
          variant,
          describe,
          fmt(cell.latencyMs.p50),
          fmt(cell.latencyMs.p99),
          fmt(cell.requestsPerSecond),
          String(cell.errors),
          fmt(cell.server?.actionsPerRequest, 1),
          b(cell, 'wftQueue'),
          b(cell, 'wftRun'),
          b(cell, 'activityQueue'),
          b(cell, 'activityRun'),
          fmt(cell.cpuMsPerRequest?.server ?? null),
          load,
        ]),
        2,
      ) +
      '\n',
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench/shard-pacing failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
