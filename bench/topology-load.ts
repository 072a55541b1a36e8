/**
 * bench/topology-load: `cascade loadtest` through the gateway on the real Temporal server beside
 * the dev server, in one run (issue 18): same rates, same rows, same recorded-model server, the
 * same production topology on each (`cascade worker` processes and a `cascade gateway
 * --no-worker`, the ledger on PostgreSQL), one table side by side.
 *
 *   dev    the Temporal CLI's dev server (SQLite file in WAL mode, as `cascade dev` runs it, one
 *          history shard, the project's dynamic config)
 *   real   temporal-server 1.29.1 on PostgreSQL with the compose stack's config and dynamic
 *          config (src/tools/cluster/, as `npm run stack:real` starts it), --shards history shards
 *
 * Both stacks are up for the whole run, and the rates alternate between them (dev then real at
 * each rate), so a change in the machine's other load hits both. Per step: the loadtest's
 * figures, billable actions per answered request from the server's own `action` counter (scraped
 * before and after the step, never estimated) and each process's CPU time from /proc. Prints
 * figures; never passes or fails on them. Linux only. `npm run bench:topology -- --help`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { spawnChild, waitFor, type Child } from '../src/tools/cluster/child';
import { CASCADE_BIN, PROJECT_ROOT } from '../src/tools/cluster/paths';
import { freePort } from '../src/tools/cluster/ports';
import { dropDatabases, ensureRoleWithDatabases, newPassword, roleUrl } from '../src/tools/cluster/postgres';
import { startTopology, type RunningTopology } from '../src/tools/cluster/topology';
import type { LoadtestResult, LoadtestStep } from '../src/tools/loadtest/types';
import { cpuSeconds } from './lib/process-cpu';
import {
  startBenchPostgres,
  startBenchRealServer,
  type BenchPostgres,
  type BenchRealServer,
} from './lib/real-server';
import { scrape, type ServerCounters } from './lib/server-metrics';
import { startBenchTemporal, stderrLog as log, type BenchTemporal } from './lib/stack';
import { writeMmluCascadeConfig } from './lib/mmlu-cascade-config';
import { fmt, formatTable } from './lib/table';

const USAGE = `usage: npm run bench:topology -- [options]

  --rate LIST          offered arrivals per second, one step per rate on each server; default 10,20,40
  --duration T         arrival phase per step (loadtest syntax); default 20s
  --data FILE          rows to send (and serve); default data/synthetic/mmlu_llama.jsonl
  --latency-scale X    the recorded model's latency: 0 answers at once, 1 as recorded; default 0
  --workers N          cascade worker processes per stack; default 2
  --shards N           the real server's history shards; default 4
  --split-services     the real server as one process per service
  --servers LIST       dev, real or both (in that order at each rate); default dev,real
  --json               one JSON document on stdout
  -h, --help`;

type ServerName = 'dev' | 'real';

interface Stack {
  name: ServerName;
  topology: RunningTopology;
  gatewayUrl: string;
  counters(): Promise<ServerCounters>;
  serverCpu(): number;
}

interface Step {
  server: ServerName;
  rate: number;
  result: LoadtestStep;
  actionsPerAnswered: number | null;
  actionsByType: Record<string, number>;
  /** Share of one core over the step, per process group. */
  cpu: Record<string, number>;
  load1: { atStart: number; atEnd: number };
}

const load1 = () => Math.round(os.loadavg()[0]! * 100) / 100;

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new Error(`--${name} takes a whole number >= ${min}, got "${v}"`);
  return n;
}

/**
 * `cascade loadtest --json` as a child; resolves with its document as soon as it is complete on
 * stdout (exit 1 = a step that saturated). The child is stopped then: after printing, it stays up
 * until its drain timer (60 s) fires, idle, which would only pad the step's wall time.
 */
function loadtest(args: string[], env: NodeJS.ProcessEnv): { pid: number; done: Promise<LoadtestResult> } {
  const child = spawn(process.execPath, [CASCADE_BIN, 'loadtest', ...args, '--json'], {
    cwd: PROJECT_ROOT,
    env,
  });
  let stdout = '';
  let stderr = '';
  let settled = false;
  const done = new Promise<LoadtestResult>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (settled || !stdout.trimEnd().endsWith('}')) return;
      try {
        const doc = JSON.parse(stdout) as LoadtestResult;
        settled = true;
        resolve(doc);
        child.kill('SIGTERM');
      } catch {
        /* not complete yet */
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (!settled) reject(new Error(`loadtest exited ${code} without its document: ${stderr.slice(-2000)}`));
    });
  });
  return { pid: child.pid!, done };
}

function sumActions(
  before: ServerCounters,
  after: ServerCounters,
): { total: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after.actions) {
    const d = v - (before.actions.get(k) ?? 0);
    if (d > 0) {
      byType[k] = d;
      total += d;
    }
  }
  return { total, byType };
}

interface Options {
  rates: number[];
  servers: ServerName[];
  duration: string;
  latencyScale: number;
  workers: number;
  shards: number;
  splitServices: boolean;
  data: string;
  json: boolean;
}

/** The options, or the exit code after --help. A bad value throws, naming it. */
function parseOptions(argv: string[]): Options | number {
  const { values } = parseArgs({
    args: argv,
    options: {
      rate: { type: 'string', default: '10,20,40' },
      duration: { type: 'string', default: '20s' },
      data: { type: 'string', default: path.join(PROJECT_ROOT, 'data/synthetic/mmlu_llama.jsonl') },
      'latency-scale': { type: 'string', default: '0' },
      workers: { type: 'string', default: '2' },
      shards: { type: 'string', default: '4' },
      'split-services': { type: 'boolean', default: false },
      servers: { type: 'string', default: 'dev,real' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rates = values.rate.split(',').map((r) => {
    const n = Number(r);
    if (!(n > 0)) throw new Error(`--rate takes positive numbers, got "${r}"`);
    return n;
  });
  const servers = values.servers.split(',').map((s) => s.trim()) as ServerName[];
  if (!servers.length || servers.some((s) => s !== 'dev' && s !== 'real')) {
    throw new Error(`--servers takes dev, real or both, got "${values.servers}"`);
  }
  const latencyScale = Number(values['latency-scale']);
  if (!(latencyScale >= 0)) throw new Error(`--latency-scale takes a number >= 0`);
  return {
    rates,
    servers,
    duration: values.duration,
    latencyScale,
    workers: int('workers', values.workers, 1),
    shards: int('shards', values.shards, 1),
    splitServices: values['split-services'],
    data: path.resolve(values.data),
    json: values.json,
  };
}

/** What every step shares: the run's directory, PostgreSQL, the model server, config and token. */
interface Run {
  o: Options;
  dir: string;
  pg: BenchPostgres;
  recorded: Child;
  configPath: string;
  token: string;
  baseEnv: NodeJS.ProcessEnv;
  cleanups: (() => Promise<unknown>)[];
}

/** The model both stacks call: one process, its CPU counted apart. Returns its /v1 base URL. */
async function startRecorded(o: Options, dir: string): Promise<{ recorded: Child; base: string }> {
  const recordedPort = await freePort();
  const recorded = spawnChild({
    name: 'cascade recorded',
    command: process.execPath,
    args: [
      CASCADE_BIN,
      'recorded',
      '--data',
      o.data,
      '--port',
      String(recordedPort),
      '--latency-scale',
      String(o.latencyScale),
      '--concurrency',
      '512',
    ],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    cwd: PROJECT_ROOT,
    logFile: path.join(dir, 'recorded.log'),
  });
  return { recorded, base: `http://127.0.0.1:${recordedPort}/v1` };
}

/** One server with its workers and a gateway: the dev server, or the real one on PostgreSQL. */
async function startStack(name: ServerName, run: Run): Promise<Stack> {
  const { o, pg, cleanups } = run;
  const runDir = path.join(run.dir, name);
  fs.mkdirSync(runDir, { recursive: true });
  let address: string;
  let namespace: string;
  let ledgerUrl: string;
  let counters: () => Promise<ServerCounters>;
  let serverCpu: () => number;
  if (name === 'dev') {
    // As `cascade dev` runs it: a SQLite file in WAL mode, synchronous=NORMAL.
    const dev: BenchTemporal = await startBenchTemporal({
      log,
      dbFilename: path.join(runDir, 'temporal.db'),
      extraArgs: ['--sqlite-pragma', 'synchronous=NORMAL'],
    });
    cleanups.push(() => dev.close());
    if (dev.serverPid === null) throw new Error('the dev server process was not found in /proc');
    const pid = dev.serverPid;
    address = dev.address;
    namespace = dev.namespace;
    counters = () => scrape(dev.metricsUrl, dev.namespace);
    serverCpu = () => cpuSeconds(pid);
    // Its ledger on the same PostgreSQL as the real stack's, a role and database of its own.
    const db = `cascade_ledger_dev_${randomBytes(5).toString('hex')}`;
    const password = newPassword();
    await ensureRoleWithDatabases(pg.adminUrl, { role: 'cascade_dev', databases: [db] }, password);
    ledgerUrl = roleUrl(pg.adminUrl, 'cascade_dev', password, db);
    cleanups.push(() => dropDatabases(pg.adminUrl, [db]));
  } else {
    const real: BenchRealServer = await startBenchRealServer({
      postgres: pg,
      frontendPort: await freePort(),
      namespace: 'cascade',
      shards: o.shards,
      splitServices: o.splitServices,
      dir: runDir,
      log,
    });
    cleanups.push(() => real.close());
    address = real.address;
    namespace = real.namespace;
    ledgerUrl = real.cluster.ledgerUrl;
    counters = () => real.counters();
    serverCpu = () => real.cpuSeconds();
  }
  log(`${name}: ${o.workers} worker(s) and a gateway on ${address}`);
  const topology = await startTopology({
    address,
    namespace,
    configPath: run.configPath,
    ledgerUrl,
    workers: o.workers,
    gatewayPorts: [0],
    apiTokens: `bench:${run.token}`,
    runDir,
    baseEnv: run.baseEnv,
    log,
  });
  cleanups.push(() => topology.stop());
  return { name, topology, gatewayUrl: topology.gateways[0]!.url, counters, serverCpu };
}

/** CPU seconds so far of each process group while `stack` takes the load. */
function cpuGroups(stack: Stack, stacks: Stack[], run: Run): Record<string, () => number> {
  const others = stacks.filter((s) => s !== stack);
  return {
    temporal: stack.serverCpu,
    postgres: () => run.pg.cpuSeconds() ?? NaN,
    workers: () => stack.topology.workers.reduce((t, w) => t + cpuSeconds(w.child.pid), 0),
    gateway: () => cpuSeconds(stack.topology.gateways[0]!.child.pid),
    recorded: () => cpuSeconds(run.recorded.pid),
    // The other stack, idle meanwhile (its server's timers and its workers' polls).
    'idle stack': () =>
      others.reduce(
        (t, s) =>
          t +
          s.serverCpu() +
          [...s.topology.workers, ...s.topology.gateways].reduce((u, p) => u + cpuSeconds(p.child.pid), 0),
        0,
      ),
  };
}

/** One loadtest step at `rate` on `stack`: its figures, actions from the server, CPU per group. */
async function runStep(stack: Stack, stacks: Stack[], rate: number, run: Run): Promise<Step> {
  const { o } = run;
  log(`${stack.name}: loadtest at ${rate} req/s for ${o.duration}`);
  const groups = cpuGroups(stack, stacks, run);
  const before = await stack.counters();
  const atStart = load1();
  const t0 = performance.now();
  const cpu0 = Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, f()]));
  const lt = loadtest(
    [
      '--via',
      'gateway',
      '--gateway-url',
      stack.gatewayUrl,
      '--gateway-token',
      run.token,
      '--sample',
      o.data,
      '--task',
      'mmlu',
      '--rate',
      String(rate),
      '--duration',
      o.duration,
      '--max-requests',
      String(Math.min(100_000, Math.ceil(rate * 700))),
    ],
    { ...run.baseEnv, CASCADE_CONFIG: run.configPath },
  );
  let ltCpu = 0;
  // The loadtest process exits at the end: sample its CPU until then.
  const sampler = setInterval(() => {
    try {
      ltCpu = cpuSeconds(lt.pid);
    } catch {
      /* exited */
    }
  }, 200);
  const out = await lt.done;
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1000;
  const cpu: Record<string, number> = {};
  for (const [k, f] of Object.entries(groups)) cpu[k] = (f() - cpu0[k]!) / seconds;
  cpu.loadtest = ltCpu / seconds;
  // The server publishes its counters about once a second: read them after the next flush.
  await sleep(2_000);
  const actions = sumActions(before, await stack.counters());
  const result = out.steps[0]!;
  const step: Step = {
    server: stack.name,
    rate,
    result,
    actionsPerAnswered: result.completed > 0 ? actions.total / result.completed : null,
    actionsByType: Object.fromEntries(
      Object.entries(actions.byType).map(([k, v]) => [k, result.completed ? v / result.completed : 0]),
    ),
    cpu,
    load1: { atStart, atEnd: load1() },
  };
  log(
    `  ${fmt(result.throughput)} answered/s, ${result.errors} errors, e2e p50 ${fmt(result.e2eMs.p50)} ms, ` +
      `actions/req ${fmt(step.actionsPerAnswered, 2)}`,
  );
  return step;
}

/** The run's figures: one JSON document, or the header, the table and what its columns mean. */
function report(o: Options, steps: Step[], started: Date, loadAtStart: number): string {
  const finished = new Date();
  const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}`;
  const realDesc = `temporal-server 1.29.1 on PostgreSQL, ${o.shards} shards, ${
    o.splitServices ? 'one process per service' : 'one process'
  }`;
  const data = path.relative(PROJECT_ROOT, o.data);
  if (o.json) {
    return (
      JSON.stringify(
        {
          bench: 'topology-load',
          startedAt: started.toISOString(),
          finishedAt: finished.toISOString(),
          machine,
          loadAverage1m: { atStart: loadAtStart, atEnd: load1() },
          options: { ...o, data },
          real: realDesc,
          steps,
        },
        null,
        2,
      ) + '\n'
    );
  }
  const names = Object.keys(steps[0]?.cpu ?? {});
  const pct = (x: number | undefined) =>
    x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(0)}%`;
  return (
    `bench/topology-load ${started.toISOString()} (${Math.round((finished.getTime() - started.getTime()) / 1000)} s): ${machine}; ` +
    `load average (1 min) ${loadAtStart} at start, ${load1()} at end\n` +
    `real: ${realDesc}; dev: the CLI's dev server (SQLite file, WAL); ${o.workers} worker process(es) and ` +
    `one gateway --no-worker per server, ledger on PostgreSQL; ${data} at ` +
    `latency x${o.latencyScale}; ${o.duration} per step\n\n` +
    formatTable(
      [
        'server',
        'offered/s',
        'sent/s',
        'answered/s',
        'done/sent',
        'errors',
        'e2e p50',
        'e2e p95',
        'actions/req',
        ...names.map((n) => `cpu ${n}`),
        'cpu total',
        'load',
      ],
      steps.map((s) => [
        s.server,
        fmt(s.rate, 0),
        fmt(s.result.sentRate),
        fmt(s.result.throughput),
        `${s.result.completed}/${s.result.requests}`,
        String(s.result.errors),
        fmt(s.result.e2eMs.p50),
        fmt(s.result.e2eMs.p95),
        fmt(s.actionsPerAnswered, 2),
        ...names.map((n) => pct(s.cpu[n])),
        pct(
          Object.entries(s.cpu)
            .filter(([k]) => k !== 'idle stack')
            .reduce((a, [, b]) => a + (Number.isNaN(b) ? 0 : b), 0),
        ),
        `${s.load1.atStart}-${s.load1.atEnd}`,
      ]),
    ) +
    "\n\nactions/req: the server's own `action` counter over the step (and its drain) / answered requests.\n" +
    'cpu: CPU time of each process group over the step / wall time, in % of one core ' +
    `(${os.cpus().length} cores = ${100 * os.cpus().length}%); postgres is every PostgreSQL process (the ` +
    "real server's persistence and both ledgers); idle stack is the other server's stack meanwhile, " +
    'left out of cpu total.\n'
  );
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (typeof o === 'number') return o;
  if (process.platform !== 'linux') throw new Error('bench/topology-load reads /proc: Linux only');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-topology-load-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  const started = new Date();
  const loadAtStart = load1();
  try {
    const pg = await startBenchPostgres(log);
    cleanups.push(() => pg.close());
    const { recorded, base } = await startRecorded(o, dir);
    cleanups.push(() => recorded.stop());
    await waitFor(
      recorded,
      'listening',
      () => /listening|recorded-model server|http:\/\//.test(recorded.tail(50)),
      60_000,
    );
    const run: Run = {
      o,
      dir,
      pg,
      recorded,
      configPath: writeMmluCascadeConfig(dir, base),
      token: randomBytes(16).toString('hex'),
      baseEnv: { PATH: process.env.PATH, HOME: process.env.HOME },
      cleanups,
    };
    const stacks: Stack[] = [];
    for (const name of o.servers) stacks.push(await startStack(name, run));
    // The rates alternate between the stacks, so a change in the machine's other load hits both.
    const steps: Step[] = [];
    for (const rate of o.rates) {
      for (const stack of stacks) steps.push(await runStep(stack, stacks, rate, run));
    }
    process.stdout.write(report(o, steps, started, loadAtStart));
    return 0;
  } finally {
    for (const step of cleanups.reverse()) {
      await step().catch((err: unknown) => log(`stop: ${String(err)}`));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench/topology-load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
