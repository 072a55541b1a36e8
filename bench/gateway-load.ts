/**
 * bench/gateway-load: `cascade loadtest` through the OpenAI-compatible gateway, in the production
 * topology as separate processes on this machine, and where the CPU goes (issue #14's must-show):
 *
 *   temporal   the dev server `cascade dev` starts (src/temporal/dev-server.ts: SQLite file,
 *              the project's dynamic config), its own process
 *   recorded   `cascade recorded` at latency x0 (the model answers at once)
 *   gateway    `cascade gateway` with its worker (the default: eager start, lean execution)
 *   loadtest   `cascade loadtest --via gateway` at each rate (open loop)
 *
 * For each rate: the loadtest's figures (answered/s, errors, end-to-end and added latency) and
 * each process's CPU time over the step from /proc/<pid>/stat, as a share of one core. Prints
 * figures; never passes or fails on them. Linux only (/proc). `npm run bench:gateway-load -- --help`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpuSeconds } from './lib/process-cpu';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadtestResult } from '../src/tools/loadtest/types';
import { readEnv } from '../src/env';
import { resolveTemporalCli } from '../src/temporal/cli-resolver';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { writeMmluCascadeConfig } from './lib/mmlu-cascade-config';
import { formatTable } from './lib/table';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'bin/cascade.js');
/** The prebuilt workflow bundle (the Dockerfile makes one); without it the gateway's worker bundles at start. */
const BUNDLE = path.join(ROOT, 'dist/workflow-bundle.js');
const USAGE = `usage: npm run bench:gateway-load -- [options]

  --rate LIST        offered arrivals per second, one step each; default 100,150,200
  --duration T       arrival phase per step (loadtest syntax, e.g. 60s); default 60s
  --data FILE        rows to send (and serve); default data/synthetic/mmlu_llama.jsonl
  --topology T       embedded (the gateway runs its worker: eager start) or separate (a gateway
                     with --no-worker and a \`cascade worker\` process); default embedded
  --json             one JSON document on stdout
  -h, --help`;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  stderr: () => string;
}

function startCascade(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (ready.test(stderr)) {
        clearInterval(timer);
        resolve({ name, child, stderr: () => stderr });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`${name} exited ${child.exitCode}:\n${stderr}`));
      }
    }, 100);
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<string> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // Exit 1 is a step that saturated: its figures are still the document on stdout.
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) =>
      (code === 0 || code === 1) && stdout.trim().startsWith('{')
        ? resolve(stdout)
        : reject(new Error(`loadtest exited ${code}: ${stderr}`)),
    ),
  );
  return { child, done };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '100,150,200' },
      duration: { type: 'string', default: '60s' },
      data: { type: 'string', default: path.join(ROOT, 'data/synthetic/mmlu_llama.jsonl') },
      topology: { type: 'string', default: 'embedded' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (process.platform !== 'linux') throw new Error('bench/gateway-load reads /proc: Linux only');
  const rates = values.rate.split(',').map((r) => {
    const n = Number(r);
    if (!(n > 0)) throw new Error(`--rate takes positive numbers, got "${r}"`);
    return n;
  });
  const data = path.resolve(values.data);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-gateway-load-'));
  const procs: Proc[] = [];
  let temporal: DevServer | undefined;
  try {
    const env = readEnv();
    const cli = await resolveTemporalCli({ explicitPath: env.temporalCliPath, cacheDir: env.cacheDir });
    if (cli.kind !== 'path') throw new Error('no Temporal CLI binary');
    const address = `127.0.0.1:${await freePort()}`;
    log(`starting the dev server on ${address}`);
    temporal = await startDevServer({
      cliPath: cli.path,
      address,
      uiPort: await freePort(),
      dbFile: path.join(dir, 'temporal.db'),
      namespace: 'default',
      logFile: path.join(dir, 'temporal.log'),
    });
    const recordedPort = await freePort();
    procs.push(
      await startCascade(
        'recorded',
        [
          'recorded',
          '--data',
          data,
          '--port',
          String(recordedPort),
          '--latency-scale',
          '0',
          '--concurrency',
          '512',
        ],
        {},
        /listening|recorded-model server|http:\/\//,
      ),
    );
    const base = `http://127.0.0.1:${recordedPort}/v1`;
    const configFile = writeMmluCascadeConfig(dir, base);
    const token = randomBytes(16).toString('hex');
    const gatewayPort = await freePort();
    const common = { TEMPORAL_ADDRESS: address, CASCADE_CONFIG: configFile };
    const bundle = fs.existsSync(BUNDLE) ? ['--workflow-bundle', BUNDLE] : [];
    const gatewayEnv = { ...common, CASCADE_API_TOKENS: `bench:${token}` };
    if (values.topology === 'separate') {
      procs.push(
        await startCascade('worker', ['worker', '--metrics-port', '0', ...bundle], common, /^metrics: /m),
      );
      procs.push(
        await startCascade(
          'gateway',
          ['gateway', '--port', String(gatewayPort), '--no-worker'],
          gatewayEnv,
          /gateway on http/,
        ),
      );
    } else if (values.topology === 'embedded') {
      procs.push(
        await startCascade(
          'gateway+worker',
          ['gateway', '--port', String(gatewayPort), ...bundle],
          gatewayEnv,
          /gateway on http/,
        ),
      );
    } else throw new Error(`--topology takes embedded or separate, got "${values.topology}"`);
    const steps: { rate: number; result: LoadtestResult['steps'][number]; cpu: Record<string, number> }[] =
      [];
    for (const rate of rates) {
      log(`loadtest at ${rate} req/s for ${values.duration}`);
      const lt = run(
        [
          'loadtest',
          '--via',
          'gateway',
          '--gateway-url',
          `http://127.0.0.1:${gatewayPort}`,
          '--gateway-token',
          token,
          '--sample',
          data,
          '--task',
          'mmlu',
          '--rate',
          String(rate),
          '--duration',
          values.duration,
          '--max-requests',
          String(Math.min(100_000, Math.ceil(rate * 700))),
          '--json',
        ],
        common,
      );
      const pids: Record<string, number> = {
        temporal: temporal.pid!,
        ...Object.fromEntries(procs.map((p) => [p.name, p.child.pid!])),
        loadtest: lt.child.pid!,
      };
      const t0 = performance.now();
      const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
      let last = { ...before };
      // The loadtest process exits at the end: sample it until then.
      const sampler = setInterval(() => {
        try {
          last = { ...last, loadtest: cpuSeconds(pids.loadtest!) };
        } catch {
          /* exited */
        }
      }, 200);
      const out = JSON.parse(await lt.done) as LoadtestResult;
      clearInterval(sampler);
      const seconds = (performance.now() - t0) / 1000;
      const after: Record<string, number> = { ...last };
      for (const [k, pid] of Object.entries(pids)) if (k !== 'loadtest') after[k] = cpuSeconds(pid);
      const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, (after[k]! - before[k]!) / seconds]));
      steps.push({ rate, result: out.steps[0]!, cpu });
    }
    if (values.json) {
      process.stdout.write(
        JSON.stringify({ bench: 'gateway-load', cores: os.cpus().length, steps }, null, 2) + '\n',
      );
    } else {
      const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '-' : x.toFixed(d));
      const names = Object.keys(steps[0]?.cpu ?? {});
      process.stdout.write(
        `bench/gateway-load ${new Date().toISOString()}: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, node ${process.version}; ` +
          `model at latency x0; ${path.relative(ROOT, data)}; duration ${values.duration} per rate\n\n` +
          formatTable(
            [
              'offered/s',
              'sent/s',
              'answered/s',
              'errors',
              'e2e p50',
              'e2e p95',
              'added p50',
              'added p95',
              'saturated',
              ...names.map((n) => `cpu ${n}`),
              'cpu total',
            ],
            steps.map((s) => [
              f(s.rate, 0),
              f(s.result.sentRate),
              f(s.result.throughput),
              String(s.result.errors),
              f(s.result.e2eMs.p50),
              f(s.result.e2eMs.p95),
              f(s.result.addedMs.p50),
              f(s.result.addedMs.p95),
              s.result.saturated ? 'yes' : 'no',
              ...names.map((n) => `${f(100 * s.cpu[n]!, 0)}%`),
              `${f(100 * Object.values(s.cpu).reduce((a, b) => a + b, 0), 0)}%`,
            ]),
          ) +
          '\ncpu: CPU time of each process over the step (arrivals and drain) / wall time, in % of one core; ' +
          `${os.cpus().length} cores = ${100 * os.cpus().length}%.\n`,
      );
    }
    return 0;
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))),
    );
    await temporal?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench/gateway-load failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
