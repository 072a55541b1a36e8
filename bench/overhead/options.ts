/** Command-line options of bench/overhead. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { wholeNumber } from '../lib/args';

/**
 * `direct` calls the model with the production provider client. `temporal-floor` and
 * `temporal-call` are Temporal alone, without the router (bench/overhead/floor-workflow.ts): a
 * workflow that returns at once, and one whose single local activity makes the direct call, both
 * started eagerly; what the router adds is the lean modes minus these. The workflow modes run the
 * `static` route (one model) or a 2-rung `cascade` whose first rung always stands, with lean or
 * durable execution (docs/architecture.md, "Lean and durable execution"), started by a
 * CascadeClient on the workers' connection (eager start, as in the gateway); `lean-remote` is the
 * lean cascade started by a client on a connection of its own (a service without a worker).
 */
export const MODES = [
  'direct',
  'temporal-floor',
  'temporal-call',
  'lean-static',
  'lean-cascade',
  'lean-remote',
  'durable-static',
  'durable-cascade',
] as const;
export type Mode = (typeof MODES)[number];

/**
 * Dev-server configurations a run can compare (each gets its own server). `default` is the dev
 * server as `cascade dev` and the tests start it. `fast-dispatch` lifts the history service's
 * transfer-queue read limit (history.transferProcessorMaxPollRPS, 20 reads/s per shard by
 * default): the dev server has one shard, so that limit paces every workflow and activity task
 * dispatch of the whole server, where a production cluster spreads workflows over many shards.
 */
export const SERVER_PROFILES: Record<string, string[]> = {
  default: [],
  // The dev server's stock pacing (the project's dev servers lift it: src/temporal/dev-server-config.ts).
  paced: [
    'history.transferProcessorMaxPollRPS=20',
    'history.timerProcessorMaxPollRPS=20',
    'history.visibilityProcessorMaxPollRPS=20',
  ],
};

/**
 * The profile that runs on a Temporal server this bench does not start (--temporal-address): the
 * real server of `npm run stack:real -- --server-only`, say, beside the dev-server profiles in one run.
 */
export const EXTERNAL_PROFILE = 'external';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** Generated rows the repository ships (data/synthetic): the bench runs from a fresh clone. */
export const DEFAULT_DATA = path.resolve(REPO_ROOT, 'data/synthetic/mmlu_llama.jsonl');

export const USAGE = `usage: npm run bench:overhead -- [options]

  --requests N          measured requests per cell (mode x concurrency x latency scale); default 200
  --warmup N            warm-up requests per cell, not measured; default 20
  --concurrency LIST    requests in flight, comma-separated; default 1,4,16
  --latency-scale LIST  recorded model latency multipliers (0 = answer at once); default 0
  --modes LIST          of ${MODES.join(',')}; default all
  --server LIST         dev-server profiles, each its own server: default (as \`cascade dev\` starts it,
                        dispatch pacing lifted), paced (the stock 20 reads/s per queue), external (the
                        server at --temporal-address); default: default, plus external when that is given
  --temporal-address HOST:PORT
                        a running Temporal server for the external profile (e.g. \`npm run stack:real --
                        --server-only --port 17233\`); its namespace must have the search attributes
  --temporal-namespace NAME  the external server's namespace; default default
  --temporal-metrics URL     the external server's Prometheus endpoint (actions and RPCs per
                             request); required with --temporal-address
  --temporal-pid N           the external server's process (its CPU per request; one process
                             running all four services, as stack:real starts it by default)
  --data FILE           JSONL rows of ../shared/data's shape; default ${path.relative(REPO_ROOT, DEFAULT_DATA)}
  --model NAME          the model every mode calls; default llama3.1-8b
  --escalate-to NAME    the cascade's second rung (never called: threshold 0); default llama3.1-405b
  --history-samples N   cascade requests per cell whose history is read for the time breakdown; default 50
  --json                print one JSON document on stdout instead of the tables
  -h, --help`;

export interface Options {
  requests: number;
  warmup: number;
  concurrency: number[];
  latencyScales: number[];
  modes: Mode[];
  serverProfiles: string[];
  data: string;
  model: string;
  escalateTo: string;
  historySamples: number;
  json: boolean;
  /** The external profile's server, when --temporal-address is given. */
  external?: { address: string; namespace: string; metricsUrl: string; pid: number | null };
}

export function parseOptions(argv: string[]): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '20' },
      concurrency: { type: 'string', default: '1,4,16' },
      'latency-scale': { type: 'string', default: '0' },
      modes: { type: 'string', default: MODES.join(',') },
      server: { type: 'string' },
      data: { type: 'string', default: DEFAULT_DATA },
      model: { type: 'string', default: 'llama3.1-8b' },
      'escalate-to': { type: 'string', default: 'llama3.1-405b' },
      'history-samples': { type: 'string', default: '50' },
      'temporal-address': { type: 'string' },
      'temporal-namespace': { type: 'string', default: 'default' },
      'temporal-metrics': { type: 'string' },
      'temporal-pid': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const int = wholeNumber;
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const scales = list(values['latency-scale']).map((s) => {
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--latency-scale takes numbers >= 0, got "${s}"`);
    return n;
  });
  const modes = list(values.modes).map((m) => {
    if (!(MODES as readonly string[]).includes(m))
      throw new Error(`--modes takes ${MODES.join(', ')}; got "${m}"`);
    return m as Mode;
  });
  const opts: Options = {
    requests: int('requests', values.requests, 1),
    warmup: int('warmup', values.warmup, 0),
    concurrency: list(values.concurrency).map((c) => int('concurrency', c, 1)),
    latencyScales: scales,
    modes: MODES.filter((m) => modes.includes(m)),
    serverProfiles: list(
      values.server ?? (values['temporal-address'] ? `default,${EXTERNAL_PROFILE}` : 'default'),
    ).map((p) => {
      if (p === EXTERNAL_PROFILE && !values['temporal-address'])
        throw new Error(`--server ${EXTERNAL_PROFILE} needs --temporal-address`);
      if (!Object.hasOwn(SERVER_PROFILES, p) && p !== EXTERNAL_PROFILE)
        throw new Error(
          `--server takes ${[...Object.keys(SERVER_PROFILES), EXTERNAL_PROFILE].join(', ')}; got "${p}"`,
        );
      return p;
    }),
    data: path.resolve(values.data),
    model: values.model,
    escalateTo: values['escalate-to'],
    historySamples: int('history-samples', values['history-samples'], 0),
    json: values.json,
    ...(values['temporal-address'] && values['temporal-metrics']
      ? {
          external: {
            address: values['temporal-address'],
            namespace: values['temporal-namespace'],
            metricsUrl: values['temporal-metrics'],
            pid: values['temporal-pid'] ? int('temporal-pid', values['temporal-pid'], 1) : null,
          },
        }
      : {}),
  };
  if (values['temporal-address'] && !values['temporal-metrics']) {
    throw new Error('--temporal-address needs --temporal-metrics (the server its figures are read from)');
  }
  if (
    opts.concurrency.length === 0 ||
    opts.latencyScales.length === 0 ||
    opts.modes.length === 0 ||
    opts.serverProfiles.length === 0
  ) {
    throw new Error('--concurrency, --latency-scale, --modes and --server each need at least one value');
  }
  return opts;
}
