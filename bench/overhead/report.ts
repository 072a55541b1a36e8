/** The human-readable report of bench/overhead: one set of tables per latency scale, then a legend. */
import os from 'node:os';
import { PHASES } from '../lib/history';
import { fmt, fmtSigned, formatTable } from '../lib/table';
import type { Cell } from './cell';

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Server action types shown as columns (action_type, label); the rest are summed in "other". */
const ACTION_COLUMNS: [string, string][] = [
  ['grpc_StartWorkflowExecution', 'start'],
  ['command_ScheduleActivityTask', 'sched act'],
  ['grpc_RecordActivityTaskHeartbeat', 'heartbeat'],
  ['command_BatchMarkers', 'markers'],
  ['command_UpsertWorkflowSearchAttributes', 'upsert'],
];

/** Frontend operations shown as columns (operation, label). */
const RPC_COLUMNS: [string, string][] = [
  ['PollWorkflowTaskQueue', 'poll wft'],
  ['RespondWorkflowTaskCompleted', 'wft done'],
  ['PollActivityTaskQueue', 'poll act'],
  ['RespondActivityTaskCompleted', 'act done'],
  ['PollWorkflowExecutionHistory', 'wait result'],
];

const usdPer1k = (usd: number | null | undefined) =>
  usd === null || usd === undefined ? '-' : fmt(usd * 1000, 4);

function rest(values: Record<string, number>, shown: [string, string][]): number {
  return Object.entries(values)
    .filter(([k]) => !shown.some(([s]) => s === k))
    .reduce((sum, [, v]) => sum + v, 0);
}

function mainTable(cells: Cell[]): string {
  return formatTable(
    [
      'conc',
      'mode',
      'n',
      'err',
      'esc',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'add p50',
      'add p95',
      'add p99',
      'req/s',
      'start ms',
      'model ms',
      'actions',
      'orch $/1k',
      'model $/1k',
      'orch/model',
      'cpu ms',
      'srv cpu',
      'load',
    ],
    cells.map((c) => [
      String(c.concurrency),
      c.mode,
      String(c.requests),
      String(c.errors),
      String(c.escalated),
      fmt(c.latencyMs.p50),
      fmt(c.latencyMs.p95),
      fmt(c.latencyMs.p99),
      fmt(c.latencyMs.max),
      fmtSigned(c.addedMs?.p50),
      fmtSigned(c.addedMs?.p95),
      fmtSigned(c.addedMs?.p99),
      fmt(c.requestsPerSecond),
      fmt(c.meanStartMs),
      fmt(c.meanModelMs),
      fmt(c.actionsPerRequest),
      usdPer1k(c.orchestrationCostUsdPerRequest),
      usdPer1k(c.modelCostUsdPerRequest),
      fmt(c.orchestrationToModelCost, 2),
      fmt(c.cpuMsPerRequest?.bench),
      fmt(c.cpuMsPerRequest?.server),
      fmt(c.loadAverage1m),
    ]),
    2,
  );
}

function breakdownTable(cells: Cell[]): string {
  return formatTable(
    [
      'conc',
      'mode',
      'sampled',
      'total',
      'to 1st event',
      'wft queue',
      'wft run',
      'act queue',
      'act run',
      'other',
      'to caller',
      'events',
      'wfts',
    ],
    cells.map((c) => {
      const b = c.breakdown!;
      return [
        String(c.concurrency),
        c.mode,
        String(b.samples),
        fmt(b.totalMs),
        fmt(b.toFirstEventMs),
        ...PHASES.map((p) => fmt(b.phasesMs[p])),
        fmt(b.toCallerMs),
        fmt(b.events, 0),
        fmt(b.workflowTasks, 0),
      ];
    }),
    2,
  );
}

function serverTable(cells: Cell[]): string {
  return formatTable(
    [
      'conc',
      'mode',
      ...ACTION_COLUMNS.map(([, l]) => l),
      'other',
      'actions',
      'orch $/1k',
      'orch/model',
      ...RPC_COLUMNS.map(([, l]) => l),
    ],
    cells.map((c) => {
      const s = c.server!;
      return [
        String(c.concurrency),
        c.mode,
        ...ACTION_COLUMNS.map(([k]) => fmt(s.actionsByType[k] ?? 0, 2)),
        fmt(rest(s.actionsByType, ACTION_COLUMNS), 2),
        fmt(s.actionsPerRequest, 2),
        usdPer1k(s.orchestrationCostUsdPerRequest),
        fmt(s.orchestrationToModelCost, 2),
        ...RPC_COLUMNS.map(([k]) => fmt(s.rpcsPerRequest[k] ?? 0, 2)),
      ];
    }),
    2,
  );
}

const LEGEND = [
  'Main table. n: answered measured requests (warm-up excluded); err: failed; esc: escalated (should be 0).',
  'p50/p95/p99/max: end-to-end latency of one request as its caller sees it. add pXX: that percentile minus',
  "direct's at the same concurrency and scale. req/s: answered requests / wall time of the measured phase.",
  "start ms: mean of the client's workflow-start RPC. model ms: mean HTTP time of the model call as the",
  'provider timed it (inside the activity for workflows). actions: trace.totals.orchestrationActions, mean.',
  "orch $/1k, model $/1k: USD per 1000 requests, those actions at costPerAction and the model's own cost;",
  'orch/model: their ratio (above 1: Temporal costs more than the model call). cpu ms: CPU time of this',
  "process (client, workers, recorded-model server) per request; srv cpu: the dev server's process, per request",
  '(/proc). load: 1-minute load average. temporal-floor / temporal-call: Temporal without the router (a',
  'workflow that returns at once / whose one local activity makes the direct call), started eagerly: the',
  'least a request-per-workflow design pays on this machine; the router adds the lean rows minus these.',
  'Time breakdown (sampled histories): to 1st event = caller sends the start -> server writes the start event;',
  'wft queue/run = workflow tasks waiting for / running on a worker (classify and check run inside them as',
  'local activities); act queue/run = the model activity waiting for / running on its worker; to caller =',
  'last event -> caller has the result; events/wfts: history events and workflow tasks per request.',
  "Server counters: the dev server's own `action` counter (what Temporal Cloud bills) by type, per request,",
  'priced at costPerAction; then frontend RPCs per request (polls that returned a task or expired; wait result',
  "= the caller's long-poll for the workflow's result).",
];

export function formatReport(
  cells: Cell[],
  groups: { serverProfile: string; describe: string; latencyScale: number }[],
  header: string[],
): string {
  const out: string[] = [...header, ''];
  for (const { serverProfile, describe, latencyScale: scale } of groups) {
    const here = cells.filter((c) => c.latencyScale === scale && c.serverProfile === serverProfile);
    if (here.length === 0) continue;
    out.push(
      `=== server ${serverProfile} (${describe}), latency scale ${scale} (recorded model latency x${scale})`,
      mainTable(here),
      '',
    );
    const timed = here.filter((c) => c.breakdown);
    if (timed.length > 0) {
      out.push(
        `where a workflow request's time goes (ms, means over sampled histories)`,
        breakdownTable(timed),
        '',
      );
    }
    const counted = here.filter((c) => c.server);
    if (counted.length > 0) {
      out.push(
        `Temporal server counters per request (billable actions by type; RPCs)`,
        serverTable(counted),
        '',
      );
    }
  }
  out.push(...LEGEND);
  for (const c of cells.filter((x) => x.firstError)) {
    out.push(`errors in ${c.serverProfile} x${c.latencyScale} c=${c.concurrency} ${c.mode}: ${c.firstError}`);
  }
  return out.join('\n') + '\n';
}
