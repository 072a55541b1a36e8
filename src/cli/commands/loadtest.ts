/**
 * `cascade loadtest --sample FILE.jsonl (--rate R[,R2...] | --peak R --multiplier 2) [...]`: an
 * open-loop load test of the running stack (through the CascadeClient, or an OpenAI-compatible
 * gateway over HTTP), bounded in count and time, reporting throughput, decision and added latency
 * per 5 s window, errors, whether the router became the bottleneck, and the saturation point of a
 * rate sweep. Refuses targets that are not this machine unless --allow-remote.
 */
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { CascadeClient } from '../../doors/client/cascade-client';
import type { LoadedConfig } from '../../request/config-file/load';
import { readEnv } from '../../env';
import { isLoopback, runStep, type Sender } from '../../tools/loadtest/run';
import { clientSender, gatewaySender } from '../../tools/loadtest/senders';
import type { LoadtestResult, LoadtestStep } from '../../tools/loadtest/types';
import { readSample, SampleError } from '../../tools/profile/sample';
import { cliDataConverter, connectForCli } from '../connect';
import { CliError, EXIT } from '../errors';
import { loadConfigForCli } from '../load-config';

interface Out {
  write(s: string): unknown;
}

export const MAX_DURATION_MS = 10 * 60_000;
export const MAX_REQUESTS = 100_000;

export interface LoadtestCommandOptions {
  sample: string;
  rates: number[];
  peak?: number;
  multiplier?: number;
  durationMs: number;
  maxRequests: number;
  via: 'client' | 'gateway';
  /** client: a connected client or how to connect; gateway: its URL. */
  cascade?: CascadeClient | (() => Promise<CascadeClient>);
  gatewayUrl?: string;
  gatewayToken?: string;
  /** For the loopback check and the report (client mode). */
  temporalAddress?: string;
  config?: LoadedConfig;
  allowRemote?: boolean;
  addedBoundMs: number;
  task?: string;
  seed?: number;
  json?: boolean;
  stdout?: Out;
  stderr?: Out;
  signal?: AbortSignal;
}

export function parseDuration(raw: string): number {
  const m = /^\s*([\d.]+)\s*(ms|s|m)?\s*$/.exec(raw);
  const x = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'] ?? 1000) : NaN;
  if (!Number.isFinite(x) || x <= 0 || x > MAX_DURATION_MS) {
    throw new CliError(
      `--duration must be a positive time up to 10m (e.g. 60s, 500ms, 2m), got "${raw}"`,
      EXIT.usage,
    );
  }
  return x;
}

export async function loadtestCommand(
  opts: LoadtestCommandOptions,
): Promise<{ code: number; result: LoadtestResult }> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const rates = opts.peak !== undefined ? [opts.peak * (opts.multiplier ?? 2)] : opts.rates;
  if (rates.length === 0 || rates.some((r) => !(r > 0) || r > 10_000)) {
    throw new CliError(
      'give --rate R[,R2,...] (requests per second, > 0) or --peak R [--multiplier 2]',
      EXIT.usage,
    );
  }
  if (!(opts.maxRequests >= 1 && opts.maxRequests <= MAX_REQUESTS)) {
    throw new CliError(`--max-requests must be 1..${MAX_REQUESTS}`, EXIT.usage);
  }
  // The targets: the Temporal frontend or the gateway, and (client mode) every model endpoint.
  const targets: string[] = [];
  if (opts.via === 'gateway') {
    if (!opts.gatewayUrl) throw new CliError('--via gateway needs --gateway-url', EXIT.usage);
    targets.push(opts.gatewayUrl);
  } else {
    if (opts.temporalAddress) targets.push(opts.temporalAddress);
    for (const m of Object.values(opts.config?.config.models ?? {})) targets.push(m.baseUrl);
  }
  const remote = targets.filter((t) => !isLoopback(t));
  if (remote.length > 0 && !opts.allowRemote) {
    throw new CliError(
      `refusing to load-test targets that are not this machine: ${[...new Set(remote)].join(', ')} (a load test of real endpoints costs money and hurts other users; --allow-remote if you mean it)`,
      EXIT.usage,
    );
  }

  let sample;
  try {
    sample = await readSample(opts.sample, { task: opts.task, defaultTask: opts.config?.config.defaultTask });
  } catch (err) {
    if (err instanceof SampleError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
  if (sample.rows.length === 0) throw new CliError(`${opts.sample} has no valid requests`, EXIT.usage);
  if (opts.config) {
    const unknown = [...new Set(sample.rows.map((r) => r.task))].filter(
      (t) => !Object.hasOwn(opts.config!.config.tasks, t),
    );
    if (unknown.length) {
      throw new CliError(
        `the sample's tasks ${unknown.join(', ')} are not configured (tasks: ${Object.keys(opts.config.config.tasks).join(', ')}); give --task`,
        EXIT.usage,
      );
    }
  }

  let send: Sender;
  let close = async () => undefined as void;
  if (opts.via === 'gateway') send = gatewaySender(opts.gatewayUrl!, opts.gatewayToken);
  else {
    if (!opts.cascade) throw new Error('client mode needs a cascade client');
    const owned = typeof opts.cascade === 'function';
    const cascade = typeof opts.cascade === 'function' ? await opts.cascade() : opts.cascade;
    send = clientSender(cascade);
    if (owned) close = () => cascade.close().catch(() => undefined);
  }

  const run = `lt-${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
  const steps: LoadtestStep[] = [];
  const tasks: Record<string, number> = {};
  for (const r of sample.rows) tasks[r.task] = (tasks[r.task] ?? 0) + 1;
  try {
    for (const [i, rate] of rates.entries()) {
      if (opts.signal?.aborted) break;
      stderr.write(
        `cascade loadtest: ${rate} req/s for up to ${opts.durationMs / 1000} s / ${opts.maxRequests} requests (${opts.via})\n`,
      );
      let last = 0;
      const step = await runStep({
        rows: sample.rows,
        rate,
        durationMs: opts.durationMs,
        maxRequests: opts.maxRequests,
        send,
        idPrefix: `${run}-${i}-`,
        seed: (opts.seed ?? 1) + i,
        addedBoundMs: opts.addedBoundMs,
        signal: opts.signal,
        onEvent: ({ sent, done }) => {
          const now = Date.now();
          if (now - last > 5000) {
            last = now;
            stderr.write(`  sent ${sent}, done ${done}\n`);
          }
        },
      });
      steps.push(step);
      stderr.write(
        `  -> ${step.completed}/${step.requests} answered, ${step.throughput.toFixed(2)} req/s, added p95 ${step.addedMs.p95?.toFixed(0) ?? '-'} ms${step.saturated ? ' (saturated)' : ''}\n`,
      );
    }
  } finally {
    await close();
  }
  const saturated = steps.filter((s) => s.saturated).map((s) => s.offeredRate);
  const held = steps.filter((s) => !s.saturated).map((s) => s.offeredRate);
  const notes: string[] = [];
  if (opts.via === 'gateway')
    notes.push('via the gateway: decision, model and added time are not exposed over HTTP; end-to-end only');
  const result: LoadtestResult = {
    kind: 'cascade-loadtest',
    format: 1,
    startedAt: new Date().toISOString(),
    via: opts.via,
    target: opts.via === 'gateway' ? opts.gatewayUrl! : (opts.temporalAddress ?? 'client'),
    sample: { file: opts.sample, rows: sample.rows.length, tasks },
    peak: opts.peak ?? null,
    multiplier: opts.peak !== undefined ? (opts.multiplier ?? 2) : null,
    addedBoundMs: opts.addedBoundMs,
    steps,
    saturationRate: saturated.length ? Math.min(...saturated) : null,
    sustainedRate: held
      .filter((r) => !saturated.length || r < Math.min(...saturated))
      .reduce<number | null>((m, r) => (m === null || r > m ? r : m), null),
    routerBottleneck: steps.some((s) => s.routerBottleneck),
    notes,
  };
  stdout.write(opts.json ? JSON.stringify(result) + '\n' : formatLoadtest(result));
  return { code: steps.some((s) => s.errors > 0) ? EXIT.failure : EXIT.ok, result };
}

const f0 = (x: number | null) => (x === null ? '-' : x.toFixed(0));

export function formatLoadtest(r: LoadtestResult): string {
  const lines = [
    `cascade loadtest via ${r.via} (${r.target}); sample ${r.sample.file}: ${r.sample.rows} rows (${Object.entries(
      r.sample.tasks,
    )
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')})` + (r.peak !== null ? `; ${r.multiplier}x a stated peak of ${r.peak} req/s` : ''),
    '',
  ];
  const header = [
    'offered/s',
    'sent/s',
    'done/s',
    'n',
    'err',
    'e2e p50',
    'e2e p95',
    'e2e p99',
    'decision p95',
    'model p95',
    'added p50',
    'added p95',
    'added p99',
    'added share',
    'saturated',
  ];
  const body = r.steps.map((s) => [
    s.offeredRate.toFixed(1),
    s.sentRate.toFixed(2),
    s.throughput.toFixed(2),
    String(s.requests),
    String(s.errors),
    f0(s.e2eMs.p50),
    f0(s.e2eMs.p95),
    f0(s.e2eMs.p99),
    s.decisionMs.p95 === null ? '-' : s.decisionMs.p95.toFixed(2),
    f0(s.modelMs.p95),
    f0(s.addedMs.p50),
    f0(s.addedMs.p95),
    f0(s.addedMs.p99),
    s.addedShare === null ? '-' : `${(s.addedShare * 100).toFixed(0)}%`,
    s.saturated ? 'yes' : 'no',
  ]);
  const table = (h: string[], rows: string[][]) => {
    const w = h.map((x, i) => Math.max(x.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (row: string[]) => row.map((c, i) => c.padStart(w[i]!)).join('  ');
    return [fmt(h), fmt(w.map((n) => '-'.repeat(n))), ...rows.map(fmt)];
  };
  lines.push('latency in ms', ...table(header, body), '');
  for (const s of r.steps) {
    lines.push(`${s.offeredRate} req/s, per 5 s window:`);
    lines.push(
      ...table(
        ['t s', 'offered', 'done', 'done/s', 'err', 'e2e p95', 'decision p95', 'model p95', 'added p95'],
        s.windows.map((w) => [
          w.t.toFixed(0),
          String(w.offered),
          String(w.completed),
          w.throughput.toFixed(2),
          String(w.errors),
          f0(w.e2eP95Ms),
          w.decisionP95Ms === null ? '-' : w.decisionP95Ms.toFixed(2),
          f0(w.modelP95Ms),
          f0(w.addedP95Ms),
        ]),
      ),
    );
    if (s.saturationReasons.length) lines.push(`  saturated: ${s.saturationReasons.join('; ')}`);
    if (s.errorSamples.length) lines.push(`  errors: ${s.errorSamples.join(' | ')}`);
    lines.push('');
  }
  lines.push(
    r.saturationRate === null
      ? `saturation: none up to ${Math.max(...r.steps.map((s) => s.offeredRate))} req/s`
      : `saturation point: ${r.saturationRate} req/s (highest rate held: ${r.sustainedRate ?? 'none'})`,
    `router bottleneck: ${r.routerBottleneck ? 'yes: added (non-model) time dominates where it saturated' : 'no'}`,
    ...r.notes.map((n) => `note: ${n}`),
  );
  return lines.join('\n') + '\n';
}

interface LoadtestCliOptions {
  sample: string;
  rate?: string;
  peak?: string;
  multiplier: string;
  duration: string;
  maxRequests: string;
  via: string;
  gatewayUrl?: string;
  gatewayToken?: string;
  addedBoundMs: string;
  task?: string;
  seed: string;
  json?: boolean;
  allowRemote?: boolean;
  config?: string;
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export function registerLoadtest(program: Command): void {
  program
    .command('loadtest')
    .description(
      'Open-loop load test of the running stack: throughput, decision and added latency, saturation point',
    )
    .requiredOption('--sample <file.jsonl>', 'requests to draw arrivals from (in their mix)')
    .option('--rate <r[,r2,...]>', 'arrivals per second; a list runs a sweep, one step per rate')
    .option('--peak <r>', 'your stated peak (req/s); the test runs at peak x multiplier')
    .option('--multiplier <m>', 'with --peak', '2')
    .option('--duration <t>', 'arrival phase per step (e.g. 60s; at most 10m)', '60s')
    .option('--max-requests <n>', 'requests per step at most', '2000')
    .option(
      '--via <client|gateway>',
      'through the CascadeClient, or an OpenAI-compatible gateway over HTTP',
      'client',
    )
    .option('--gateway-url <url>', 'the gateway (with --via gateway), e.g. http://localhost:8787')
    .option('--gateway-token <token>', 'bearer token for the gateway')
    .option('--added-bound-ms <ms>', 'added (non-model) p95 that counts as saturation', '1000')
    .option('--task <task>', 'task for rows that name none')
    .option('--seed <n>', 'seed of arrivals and mix', '1')
    .option('--json', 'print one JSON document (what `cascade advise --loadtest` reads)')
    .option('--allow-remote', 'allow targets that are not this machine')
    .option('-c, --config <file>', 'config file (default: $CASCADE_CONFIG or ./cascade.config.yaml)')
    .option('--address <host:port>', 'Temporal frontend (default: $TEMPORAL_ADDRESS or localhost:7233)')
    .option('--namespace <name>', 'namespace (default: the config temporal.namespace)')
    .option('--task-queue <name>', 'workflow task queue (default: cascade)')
    .action(async (opts: LoadtestCliOptions) => {
      if (opts.via !== 'client' && opts.via !== 'gateway')
        throw new CliError('--via must be client or gateway', EXIT.usage);
      if ((opts.rate === undefined) === (opts.peak === undefined))
        throw new CliError('give --rate or --peak (one of them)', EXIT.usage);
      const num = (flag: string, raw: string) => {
        const x = Number(raw);
        if (!Number.isFinite(x) || x <= 0)
          throw new CliError(`${flag} must be a positive number, got "${raw}"`, EXIT.usage);
        return x;
      };
      const config = loadConfigForCli(opts.config);
      const address = opts.address ?? readEnv().temporalAddress;
      const namespace = opts.namespace ?? config.config.temporal.namespace;
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.on('SIGINT', onSigint);
      try {
        const { code } = await loadtestCommand({
          sample: opts.sample,
          rates: opts.rate ? opts.rate.split(',').map((r) => num('--rate', r)) : [],
          ...(opts.peak
            ? { peak: num('--peak', opts.peak), multiplier: num('--multiplier', opts.multiplier) }
            : {}),
          durationMs: parseDuration(opts.duration),
          maxRequests: num('--max-requests', opts.maxRequests),
          via: opts.via,
          gatewayUrl: opts.gatewayUrl,
          gatewayToken: opts.gatewayToken,
          temporalAddress: address,
          config,
          allowRemote: opts.allowRemote,
          addedBoundMs: num('--added-bound-ms', opts.addedBoundMs),
          task: opts.task,
          seed: Number(opts.seed),
          json: opts.json,
          signal: controller.signal,
          cascade: async () => {
            const connection = await connectForCli(address);
            return new CascadeClient({
              client: new Client({ connection, namespace, dataConverter: cliDataConverter() }),
              config,
              ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}),
            });
          },
        });
        process.exitCode = code;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
