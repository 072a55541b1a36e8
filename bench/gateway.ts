/**
 * bench/gateway: what the OpenAI-compatible gateway adds over calling the model directly, and
 * what eager workflow start takes back, measured side by side in one run. It prints figures; it
 * never passes or fails on time.
 *
 *   direct         the `openai` client -> the recorded-model server (one HTTP call)
 *   client         CascadeClient.run -> cascadeWorkflow (`static` route: one model call), no HTTP front door
 *   gateway        the `openai` client -> the gateway -> CascadeClient on its own Connection
 *   gateway-eager  the same, with the gateway on the worker's NativeConnection and requestEagerStart
 *
 * Time to first token (issue #17), `stream: true` on a second recorded-model server whose recorded
 * latency is spread over the answer's pieces (src/tools/recorded-models/stream.ts), so the first piece comes
 * long before the last:
 *
 *   direct-stream    the `openai` client -> the recorded-model server, streamed
 *   gateway-live     the `openai` client -> the eager gateway (static route): the model's pieces
 *                    forwarded as they come (x-cascade-stream: live)
 *   gateway-checked  the same request with `logprobs: true`, which the live rule sends down the
 *                    checked path: the whole answer streamed after the workflow ends, as every
 *                    stream was before live streaming (x-cascade-stream: checked)
 *
 * One Temporal dev server, one recorded-model server, one set of workers serving every mode, and
 * the same prompts (rows of ../shared/data, read where they lie) at each concurrency; modes are
 * run one after the other at each concurrency. Everything is started here, on loopback, and
 * stopped at the end (on error and Ctrl-C too). Run: `npm run bench:gateway -- --help`.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import OpenAI from 'openai';
import { CascadeClient } from '../src/doors/client/cascade-client';
import { validateConfig } from '../src/request/config-file/load';
import { parseApiTokens } from '../src/doors/gateway/auth';
import { startGatewayOnWorkers } from '../src/doors/gateway/on-worker';
import { startGateway, type RunningGateway } from '../src/doors/gateway/server';
import { startRecordedServer, type RecordedServer } from '../src/tools/recorded-models/server';
import type { Trace } from '../src/request/router/trace';
import { startWorkers, type RunningWorkers } from '../src/temporal/worker';
import { runPool } from './lib/pool';
import { readJsonlRows, startBenchTemporal, stderrLog, type BenchTemporal } from './lib/stack';
import { summarize, type Summary } from './lib/stats';
import { fmt, fmtSigned, formatTable } from './lib/table';
import { parseOrExit, wholeNumber } from './lib/args';

const MODES = ['direct', 'client', 'gateway', 'gateway-eager'] as const;
type Mode = (typeof MODES)[number];
const TTFT_MODES = ['direct-stream', 'gateway-live', 'gateway-checked'] as const;
type TtftMode = (typeof TTFT_MODES)[number];
const REPO_ROOT = path.resolve(__dirname, '..');
const DEFAULT_DATA = path.resolve(REPO_ROOT, '../shared/data/cascades/mmlu_llama_train.jsonl');
// Long answers (a worked solution, ~140 words), so the first piece and the last are far apart.
const DEFAULT_TTFT_DATA = path.resolve(REPO_ROOT, '../shared/data/cascades/gsm8k_llama_train.jsonl');
const TASK = 'bench-static';
const TTFT_TASK = 'bench-ttft';
const TOKEN = 'bench-token-0123456789';

const USAGE = `usage: npm run bench:gateway -- [options]

  --requests N          measured requests per cell (mode x concurrency); default 100
  --warmup N            warm-up requests per cell, not measured; default 10
  --concurrency LIST    requests in flight, comma-separated; default 1,4,16
  --latency-scale X     recorded model latency multiplier (0 = answer at once); default 0
  --server PROFILE      default, or fast-dispatch (the dev server's transfer-queue read limit lifted
                        from 20/s to 1000/s); default: default
  --data FILE           JSONL rows of ../shared/data's shape; default ${path.relative(REPO_ROOT, DEFAULT_DATA)}
  --model NAME          the model every mode calls; default llama3.1-8b
  --ttft LIST           concurrencies of the time-to-first-token cells (streamed: direct-stream,
                        gateway-live, gateway-checked), comma-separated, or none; default 1,16
  --ttft-requests N     measured streamed requests per cell; default 40
  --ttft-warmup N       warm-up streamed requests per cell; default 5
  --ttft-latency-scale X  latency multiplier of the streaming recorded-model server (its recorded
                        latency is spread over the answer's pieces); default 1
  --ttft-data FILE      JSONL rows for the streamed cells; default ${path.relative(REPO_ROOT, DEFAULT_TTFT_DATA)}
  --only WHAT           latency (the four modes above) or ttft (the streamed cells); default both
  --json                print one JSON document on stdout instead of the tables
  -h, --help`;

interface Options {
  requests: number;
  warmup: number;
  concurrency: number[];
  latencyScale: number;
  server: 'default' | 'fast-dispatch';
  data: string;
  model: string;
  ttft: number[];
  ttftRequests: number;
  ttftWarmup: number;
  ttftLatencyScale: number;
  ttftData: string;
  only: 'latency' | 'ttft' | null;
  json: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '100' },
      warmup: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '1,4,16' },
      'latency-scale': { type: 'string', default: '0' },
      server: { type: 'string', default: 'default' },
      data: { type: 'string', default: DEFAULT_DATA },
      model: { type: 'string', default: 'llama3.1-8b' },
      ttft: { type: 'string', default: '1,16' },
      'ttft-requests': { type: 'string', default: '40' },
      'ttft-warmup': { type: 'string', default: '5' },
      'ttft-latency-scale': { type: 'string', default: '1' },
      'ttft-data': { type: 'string', default: DEFAULT_TTFT_DATA },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const int = wholeNumber;
  const scale = Number(values['latency-scale']);
  if (!(scale >= 0)) throw new Error(`--latency-scale must be a number >= 0`);
  if (values.server !== 'default' && values.server !== 'fast-dispatch') {
    throw new Error(`--server must be default or fast-dispatch, got "${values.server}"`);
  }
  const ttftScale = Number(values['ttft-latency-scale']);
  if (!(ttftScale >= 0)) throw new Error(`--ttft-latency-scale must be a number >= 0`);
  if (values.only !== undefined && values.only !== 'latency' && values.only !== 'ttft') {
    throw new Error(`--only must be latency or ttft, got "${values.only}"`);
  }
  return {
    requests: int('requests', values.requests, 1),
    warmup: int('warmup', values.warmup, 0),
    concurrency: values.concurrency.split(',').map((c) => int('concurrency', c.trim(), 1)),
    latencyScale: scale,
    server: values.server,
    data: path.resolve(values.data),
    model: values.model,
    ttft:
      values.ttft === 'none' || values.ttft === ''
        ? []
        : values.ttft.split(',').map((c) => int('ttft', c.trim(), 1)),
    ttftRequests: int('ttft-requests', values['ttft-requests'], 1),
    ttftWarmup: int('ttft-warmup', values['ttft-warmup'], 0),
    ttftLatencyScale: ttftScale,
    ttftData: path.resolve(values['ttft-data']),
    only: (values.only as Options['only'] | undefined) ?? null,
    json: values.json,
  };
}

interface Row {
  id: string;
  system?: string;
  prompt: string;
  models?: Record<string, { answer?: unknown }>;
}

interface Cell {
  mode: Mode;
  concurrency: number;
  requests: number;
  errors: number;
  firstError: string | null;
  latencyMs: Summary;
  requestsPerSecond: number;
  /** This mode's percentile minus direct's at the same concurrency. */
  addedMs: { p50: number; p95: number; p99: number } | null;
  /** Throughput and p50 as a ratio of direct's. */
  throughputRatio: number | null;
  p50Ratio: number | null;
  /** gateway-eager: starts the server ran eagerly (the first workflow task in the start response). */
  eagerStarts: number | null;
}

/** A streamed cell: time to the first content piece and to the end, per request. */
interface TtftCell {
  mode: TtftMode;
  concurrency: number;
  requests: number;
  errors: number;
  firstError: string | null;
  ttftMs: Summary;
  totalMs: Summary;
  /** Gateway modes: responses that said `x-cascade-stream: live`. */
  live: number | null;
  /** This mode's ttft p50 over direct-stream's, and over gateway-checked's, at the same concurrency. */
  ttftRatioDirect: number | null;
  ttftRatioChecked: number | null;
}

interface Running {
  temporal: BenchTemporal;
  recorded: RecordedServer;
  /** The streaming endpoint of the TTFT cells (its own latency scale). */
  ttftRecorded: RecordedServer;
  workers: RunningWorkers;
  connection: Connection;
  cascade: CascadeClient;
  gateway: RunningGateway;
  eagerGateway: RunningGateway;
}

async function startAll(
  opts: Options,
  log: (l: string) => void,
  steps: (() => Promise<unknown>)[],
): Promise<Running> {
  const temporal = await startBenchTemporal({
    log,
    dynamicConfig: opts.server === 'fast-dispatch' ? ['history.transferProcessorMaxPollRPS=1000'] : [],
  });
  steps.push(() => temporal.close());
  const recorded = await startRecordedServer({
    dataFiles: [opts.data],
    latencyScale: opts.latencyScale,
    concurrency: 64,
    host: '127.0.0.1',
  });
  steps.push(() => recorded.close());
  const ttftRecorded = await startRecordedServer({
    dataFiles: [opts.ttft.length > 0 && opts.only !== 'latency' ? opts.ttftData : opts.data],
    latencyScale: opts.ttftLatencyScale,
    concurrency: 64,
    host: '127.0.0.1',
  });
  steps.push(() => ttftRecorded.close());
  const ttftModel = `ttft-${opts.model}`;
  const config = validateConfig(
    {
      temporal: { namespace: temporal.namespace },
      models: {
        [opts.model]: {
          provider: 'openai-compatible',
          baseUrl: recorded.baseUrl,
          model: opts.model,
          pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
          concurrency: 64,
        },
        [ttftModel]: {
          provider: 'openai-compatible',
          baseUrl: ttftRecorded.baseUrl,
          model: opts.model,
          pricing: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
          concurrency: 64,
        },
      },
      tasks: {
        [TASK]: { route: 'static', rungs: [{ model: opts.model }] },
        [TTFT_TASK]: { route: 'static', rungs: [{ model: ttftModel }] },
      },
    },
    'bench-gateway',
  );
  const taskQueue = `cascade-bench-gateway-${Date.now().toString(36)}`;
  log(`starting workers (queue ${taskQueue})`);
  const workers = await startWorkers({
    config: config.config,
    calibrations: config.calibrations,
    address: temporal.address,
    namespace: temporal.namespace,
    workflowBundlePath: temporal.workflowBundlePath,
    taskQueue,
    env: {},
  });
  steps.push(() => workers.shutdown());
  const connection = await Connection.connect({ address: temporal.address });
  steps.push(() => connection.close());
  const cascade = new CascadeClient({
    client: new Client({ connection, namespace: temporal.namespace }),
    config,
    taskQueue,
    ledger: workers.ledger,
  });
  const auth = parseApiTokens(`bench:${TOKEN}`);
  const gateway = await startGateway({ cascade, auth, port: 0, host: '127.0.0.1' });
  steps.push(() => gateway.close());
  const eagerGateway = await startGatewayOnWorkers({
    workers,
    config,
    namespace: temporal.namespace,
    taskQueue,
    auth,
    port: 0,
    host: '127.0.0.1',
  });
  steps.push(() => eagerGateway.close());
  return { temporal, recorded, ttftRecorded, workers, connection, cascade, gateway, eagerGateway };
}

function requestFn(run: Running, mode: Mode, rows: Row[], model: string, idPrefix: string) {
  const direct = new OpenAI({ baseURL: run.recorded.baseUrl, apiKey: 'unused', maxRetries: 0 });
  const viaGateway = (g: RunningGateway) =>
    new OpenAI({ baseURL: `${g.url}/v1`, apiKey: TOKEN, maxRetries: 0, timeout: 120_000 });
  const gw =
    mode === 'gateway'
      ? viaGateway(run.gateway)
      : mode === 'gateway-eager'
        ? viaGateway(run.eagerGateway)
        : null;
  return async (i: number): Promise<void> => {
    const row = rows[i % rows.length]!;
    const messages = [
      ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
      { role: 'user' as const, content: row.prompt },
    ];
    if (mode === 'direct') {
      await direct.chat.completions.create({ model, messages });
      return;
    }
    if (mode === 'client') {
      const trace: Trace = await run.cascade.run({ id: `${idPrefix}-${i}`, task: TASK, messages });
      if (trace.status !== 'answered') throw new Error(`${trace.requestId}: ${trace.status}`);
      return;
    }
    await gw!.chat.completions.create({ model: `cascade/${TASK}`, messages });
  };
}

async function runCell(
  run: Running,
  rows: Row[],
  opts: Options,
  mode: Mode,
  concurrency: number,
  stop: () => boolean,
): Promise<Cell> {
  const prefix = `bench-gw-${Date.now().toString(36)}-c${concurrency}-${mode}`;
  if (opts.warmup > 0) {
    await runPool({
      count: opts.warmup,
      concurrency,
      call: requestFn(run, mode, rows, opts.model, `${prefix}-warm`),
      stop,
    });
  }
  const eagerBefore = run.eagerGateway.ctx.stats.eagerlyStarted;
  const result = await runPool({
    count: opts.requests,
    concurrency,
    call: requestFn(run, mode, rows, opts.model, prefix),
    stop,
  });
  const ok = result.samples.filter((s) => s.error === undefined);
  const failed = result.samples.filter((s) => s.error !== undefined);
  return {
    mode,
    concurrency,
    requests: ok.length,
    errors: failed.length,
    firstError: failed[0] ? String((failed[0].error as Error).message ?? failed[0].error) : null,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    requestsPerSecond: ok.length / (result.wallMs / 1000),
    addedMs: null,
    throughputRatio: null,
    p50Ratio: null,
    eagerStarts: mode === 'gateway-eager' ? run.eagerGateway.ctx.stats.eagerlyStarted - eagerBefore : null,
  };
}

/**
 * A streamed request: the time from its start to the first content piece (the time to first
 * token) is its value; the pool measures the whole. The text must be the recorded answer.
 */
function ttftFn(run: Running, mode: TtftMode, rows: Row[], model: string) {
  const direct = new OpenAI({ baseURL: run.ttftRecorded.baseUrl, apiKey: 'unused', maxRetries: 0 });
  const gw = new OpenAI({
    baseURL: `${run.eagerGateway.url}/v1`,
    apiKey: TOKEN,
    maxRetries: 0,
    timeout: 120_000,
  });
  return async (i: number): Promise<{ ttftMs: number; live: boolean }> => {
    const row = rows[i % rows.length]!;
    const messages = [
      ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
      { role: 'user' as const, content: row.prompt },
    ];
    const t0 = performance.now();
    const { data, response } =
      mode === 'direct-stream'
        ? await direct.chat.completions.create({ model, messages, stream: true }).withResponse()
        : await gw.chat.completions
            .create({
              model: `cascade/${TTFT_TASK}`,
              messages,
              stream: true,
              // The caller's logprobs ride on the checked answer: the live rule's "no".
              ...(mode === 'gateway-checked' ? { logprobs: true } : {}),
            })
            .withResponse();
    let ttftMs = NaN;
    let text = '';
    for await (const chunk of data) {
      const piece = chunk.choices[0]?.delta.content ?? '';
      if (piece !== '' && Number.isNaN(ttftMs)) ttftMs = performance.now() - t0;
      text += piece;
    }
    if (text !== row.models?.[model]?.answer)
      throw new Error(`row ${row.id}: the streamed text is not the recorded answer`);
    return { ttftMs, live: response.headers.get('x-cascade-stream') === 'live' };
  };
}

async function runTtftCell(
  run: Running,
  rows: Row[],
  opts: Options,
  mode: TtftMode,
  concurrency: number,
  stop: () => boolean,
): Promise<TtftCell> {
  const call = ttftFn(run, mode, rows, opts.model);
  if (opts.ttftWarmup > 0) await runPool({ count: opts.ttftWarmup, concurrency, call, stop });
  const result = await runPool({ count: opts.ttftRequests, concurrency, call, stop });
  const ok = result.samples.filter((s) => s.error === undefined);
  const failed = result.samples.filter((s) => s.error !== undefined);
  return {
    mode,
    concurrency,
    requests: ok.length,
    errors: failed.length,
    firstError: failed[0] ? String((failed[0].error as Error).message ?? failed[0].error) : null,
    ttftMs: summarize(ok.map((s) => s.value!.ttftMs)),
    totalMs: summarize(ok.map((s) => s.latencyMs)),
    live: mode === 'direct-stream' ? null : ok.filter((s) => s.value!.live).length,
    ttftRatioDirect: null,
    ttftRatioChecked: null,
  };
}

function fillTtftRatios(cells: TtftCell[]): void {
  for (const c of cells) {
    const at = (m: TtftMode) => cells.find((x) => x.mode === m && x.concurrency === c.concurrency);
    const d = at('direct-stream');
    const k = at('gateway-checked');
    if (d && c.mode !== 'direct-stream') c.ttftRatioDirect = c.ttftMs.p50 / d.ttftMs.p50;
    if (k && c.mode === 'gateway-live') c.ttftRatioChecked = c.ttftMs.p50 / k.ttftMs.p50;
  }
}

function ttftReport(cells: TtftCell[], opts: Options): string {
  const out = [
    `time to first token: stream: true, ${path.basename(opts.ttftData)}, recorded latency x${opts.ttftLatencyScale} ` +
      `spread over each answer's pieces; requests/cell ${opts.ttftRequests} (+${opts.ttftWarmup} warm-up)`,
    '',
  ];
  const header = [
    'c',
    'mode',
    'ttft p50',
    'ttft p95',
    'total p50',
    'total p95',
    'ttft x direct',
    'ttft x checked',
    'live',
    'err',
  ];
  const rows = cells.map((c) => [
    String(c.concurrency),
    c.mode,
    fmt(c.ttftMs.p50, 1),
    fmt(c.ttftMs.p95, 1),
    fmt(c.totalMs.p50, 1),
    fmt(c.totalMs.p95, 1),
    c.ttftRatioDirect === null ? (c.mode === 'direct-stream' ? '1' : '') : fmt(c.ttftRatioDirect, 2),
    c.ttftRatioChecked === null ? '' : fmt(c.ttftRatioChecked, 3),
    c.live === null ? '' : `${c.live}/${c.requests}`,
    String(c.errors),
  ]);
  out.push(formatTable(header, rows, 2));
  for (const c of cells.filter((x) => x.firstError))
    out.push(`  ${c.mode} c=${c.concurrency}: ${c.firstError}`);
  return out.join('\n');
}

function fillRatios(cells: Cell[]): void {
  for (const c of cells) {
    const d = cells.find((x) => x.mode === 'direct' && x.concurrency === c.concurrency);
    if (!d || c.mode === 'direct') continue;
    c.addedMs = {
      p50: c.latencyMs.p50 - d.latencyMs.p50,
      p95: c.latencyMs.p95 - d.latencyMs.p95,
      p99: c.latencyMs.p99 - d.latencyMs.p99,
    };
    c.throughputRatio = c.requestsPerSecond / d.requestsPerSecond;
    c.p50Ratio = c.latencyMs.p50 / d.latencyMs.p50;
  }
}

function report(cells: Cell[], opts: Options, meta: Record<string, unknown>): string {
  const out: string[] = [
    `bench/gateway  ${String(meta.started)}  requests/cell ${opts.requests} (+${opts.warmup} warm-up)  ` +
      `latency scale ${opts.latencyScale}  server ${opts.server}  model ${opts.model}`,
    '',
  ];
  const header = [
    'c',
    'mode',
    'req/s',
    'x direct',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    '+p50',
    '+p95',
    '+p99',
    'p50 x direct',
    'eager',
    'err',
  ];
  const rows = cells.map((c) => [
    String(c.concurrency),
    c.mode,
    fmt(c.requestsPerSecond, 1),
    c.throughputRatio === null ? '1' : fmt(c.throughputRatio, 3),
    fmt(c.latencyMs.p50, 1),
    fmt(c.latencyMs.p95, 1),
    fmt(c.latencyMs.p99, 1),
    c.addedMs ? fmtSigned(c.addedMs.p50, 1) : '',
    c.addedMs ? fmtSigned(c.addedMs.p95, 1) : '',
    c.addedMs ? fmtSigned(c.addedMs.p99, 1) : '',
    c.p50Ratio === null ? '1' : fmt(c.p50Ratio, 1),
    c.eagerStarts === null ? '' : `${c.eagerStarts}/${c.requests}`,
    String(c.errors),
  ]);
  out.push(formatTable(header, rows, 2));
  // The gateway's own share: gateway vs the same workflow started by CascadeClient, no HTTP hop.
  out.push('', 'gateway vs client (the HTTP front door alone), and eager vs not:');
  const share = opts.concurrency.map((c) => {
    const by = (m: Mode) => cells.find((x) => x.mode === m && x.concurrency === c);
    const cl = by('client');
    const g = by('gateway');
    const e = by('gateway-eager');
    return [
      String(c),
      g && cl ? fmtSigned(g.latencyMs.p50 - cl.latencyMs.p50, 1) : '-',
      g && cl ? fmt(g.requestsPerSecond / cl.requestsPerSecond, 3) : '-',
      e && g ? fmtSigned(e.latencyMs.p50 - g.latencyMs.p50, 1) : '-',
      e && g ? fmt(e.requestsPerSecond / g.requestsPerSecond, 3) : '-',
    ];
  });
  out.push(
    formatTable(
      ['c', 'gateway-client p50 ms', 'gateway/client req/s', 'eager-gateway p50 ms', 'eager/gateway req/s'],
      share,
    ),
  );
  for (const c of cells.filter((x) => x.firstError))
    out.push(`  ${c.mode} c=${c.concurrency}: ${c.firstError}`);
  return out.join('\n');
}

async function main(): Promise<number> {
  const parsed = parseOrExit(parseOptions, USAGE);
  if (typeof parsed === 'number') return parsed;
  const opts: Options = parsed;
  const answered = (file: string) => {
    const rows = readJsonlRows<Row>(file).filter((r) => typeof r.models?.[opts.model]?.answer === 'string');
    if (rows.length === 0) throw new Error(`${file} has no rows answered by ${opts.model}`);
    return rows;
  };
  const runLatency = opts.only !== 'ttft';
  const runTtft = opts.only !== 'latency' && opts.ttft.length > 0;
  const rows = runLatency ? answered(opts.data) : [];
  const ttftRows = runTtft ? answered(opts.ttftData) : [];
  const log = stderrLog;
  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) process.exit(130);
    stopping = true;
    log('stopping after the requests in flight (Ctrl-C again to quit now)');
  });
  const steps: (() => Promise<unknown>)[] = [];
  const started = new Date();
  const cells: Cell[] = [];
  const ttftCells: TtftCell[] = [];
  try {
    const run = await startAll(opts, log, steps);
    for (const c of runLatency ? opts.concurrency : []) {
      for (const mode of MODES) {
        if (stopping) break;
        log(`c=${c} ${mode}`);
        cells.push(await runCell(run, rows, opts, mode, c, () => stopping));
      }
    }
    for (const c of runTtft ? opts.ttft : []) {
      for (const mode of TTFT_MODES) {
        if (stopping) break;
        log(`ttft c=${c} ${mode}`);
        ttftCells.push(await runTtftCell(run, ttftRows, opts, mode, c, () => stopping));
      }
    }
  } finally {
    for (const step of steps.splice(0).reverse())
      await step().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
  fillRatios(cells);
  fillTtftRatios(ttftCells);
  const meta = { started: started.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' };
  if (opts.json)
    process.stdout.write(
      JSON.stringify({ bench: 'gateway', ...meta, options: opts, cells, ttftCells }) + '\n',
    );
  else {
    const parts = [
      ...(cells.length > 0 ? [report(cells, opts, meta)] : [`bench/gateway  ${meta.started}`]),
      ...(ttftCells.length > 0 ? [ttftReport(ttftCells, opts)] : []),
    ];
    process.stdout.write(parts.join('\n\n') + '\n');
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
