/**
 * One cell of bench/overhead: one mode at one concurrency and one recorded latency scale.
 * Warm-up requests first (not measured), then a fixed number of measured requests, then what
 * the cell's figures need from the server: its counters (actions, RPCs) and sampled histories.
 */
import os from 'node:os';
import type { Trace } from '../../src/request/router/trace';
import { historyBreakdown, PHASES, type HistoryBreakdown, type Phase } from '../lib/history';
import { runPool, type PoolSample } from '../lib/pool';
import { perRequest, scrapeAfterFlush, type ServerCounters } from '../lib/server-metrics';
import { readJsonlRows, type BenchStack, type BenchTemporal } from '../lib/stack';
import { mean, summarize, type Summary } from '../lib/stats';
import { cpuSeconds } from '../lib/process-cpu';
import type { FloorWorker } from './floor';
import type { Mode, Options } from './options';

export type FloorMode = 'temporal-floor' | 'temporal-call';
export const isFloorMode = (m: Mode): m is FloorMode => m === 'temporal-floor' || m === 'temporal-call';

// ---------------------------------------------------------------------------------------------
// The prompts

export interface Row {
  id: string;
  system?: string;
  prompt: string;
  models?: Record<string, { answer?: unknown; raw_confidence?: unknown }>;
}

/** Rows the model has a recorded answer and logprob for (else the cascade could not stand on rung 1). */
export function loadPrompts(opts: Options): Row[] {
  const rows = readJsonlRows<Row>(opts.data).filter((r) => {
    const m = r.models?.[opts.model];
    return (
      typeof r.prompt === 'string' && typeof m?.answer === 'string' && typeof m.raw_confidence === 'number'
    );
  });
  if (rows.length === 0) {
    throw new Error(`${opts.data} has no rows with an answer and a logprob recorded for ${opts.model}`);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// One request per mode

/** The cascade task each router mode runs (the floor modes run no task: bench/overhead/floor.ts). */
export const TASKS: Record<Exclude<Mode, 'direct' | FloorMode>, string> = {
  'lean-static': 'bench-lean-static',
  'lean-cascade': 'bench-lean-cascade',
  'lean-remote': 'bench-lean-cascade',
  'durable-static': 'bench-durable-static',
  'durable-cascade': 'bench-durable-cascade',
};

interface Outcome {
  /** The client's start RPC (workflow modes). */
  startMs: number | null;
  /** The model HTTP call as the provider timed it (inside the activity for the workflow modes). */
  modelMs: number;
  modelCostUsd: number;
  actions: number;
  orchestrationCostUsd: number;
  escalated: boolean;
  workflowId: string | null;
  /** Epoch ms (sub-ms) when the caller sent the request and when it had the answer. */
  sentAtMs: number;
  answeredAtMs: number;
}

/** Wall-clock epoch milliseconds, sub-millisecond (the server's clock too, on one machine). */
const nowMs = () => performance.timeOrigin + performance.now();

function requestFn(
  stack: BenchStack,
  floor: FloorWorker | undefined,
  mode: Mode,
  rows: Row[],
  model: string,
  idPrefix: string,
) {
  const provider = stack.provider(model);
  return async (i: number): Promise<Outcome> => {
    const row = rows[i % rows.length]!;
    const sentAtMs = nowMs();
    if (isFloorMode(mode)) {
      if (!floor) throw new Error(`${mode} needs the floor worker`);
      const id = `${idPrefix}-${i}`;
      const call = mode === 'temporal-call';
      const { startMs, result } = await floor.run(id, {
        call,
        ...(row.system ? { system: row.system } : {}),
        prompt: row.prompt,
      });
      return {
        startMs,
        modelMs: result.latencyMs,
        modelCostUsd: result.costUsd,
        // Not counted by the floor workflow: the server's counters give its actions.
        actions: NaN,
        orchestrationCostUsd: NaN,
        escalated: false,
        workflowId: id,
        sentAtMs,
        answeredAtMs: nowMs(),
      };
    }
    if (mode === 'direct') {
      // The same call the cascade's first rung makes (logprobs for answer_logprob, top 1).
      const r = await provider.call({
        messages: [
          ...(row.system ? [{ role: 'system' as const, content: row.system }] : []),
          { role: 'user' as const, content: row.prompt },
        ],
        logprobs: true,
        topLogprobs: 1,
      });
      return {
        startMs: null,
        modelMs: r.latencyMs,
        modelCostUsd: r.costUsd,
        actions: 0,
        orchestrationCostUsd: 0,
        escalated: false,
        workflowId: null,
        sentAtMs,
        answeredAtMs: nowMs(),
      };
    }
    // Unique per run (the stack's run id): a re-run never joins an earlier run's workflow.
    const id = `${idPrefix}-${i}`;
    const client = mode === 'lean-remote' ? stack.remoteCascade : stack.cascade;
    const { handle } = await client.start({
      id,
      task: TASKS[mode],
      ...(row.system ? { system: row.system } : {}),
      prompt: row.prompt,
    });
    const startMs = nowMs() - sentAtMs;
    const trace: Trace = await handle.result();
    if (trace.status !== 'answered') throw new Error(`${id}: ${trace.status}: ${trace.error ?? ''}`);
    return {
      startMs,
      modelMs: trace.calls.reduce((s, c) => s + c.attempts.reduce((t, a) => t + a.latencyMs, 0), 0),
      modelCostUsd: trace.totals.costUsd,
      actions: trace.totals.orchestrationActions,
      orchestrationCostUsd: trace.totals.orchestrationCostUsd,
      escalated: trace.escalations.length > 0,
      workflowId: id,
      sentAtMs,
      answeredAtMs: nowMs(),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// A cell

export interface Cell {
  serverProfile: string;
  latencyScale: number;
  concurrency: number;
  mode: Mode;
  /** Measured requests that answered (warm-up excluded). */
  requests: number;
  errors: number;
  firstError: string | null;
  escalated: number;
  latencyMs: Summary;
  /** This mode's percentile minus direct's at the same concurrency and scale. */
  addedMs: { p50: number; p95: number; p99: number } | null;
  requestsPerSecond: number;
  meanStartMs: number | null;
  meanModelMs: number;
  /** Mean of trace.totals.orchestrationActions (what the workflow counts). */
  actionsPerRequest: number;
  /** Mean of trace.totals.orchestrationCostUsd (those actions at costPerAction). */
  orchestrationCostUsdPerRequest: number;
  modelCostUsdPerRequest: number;
  /** Orchestration cost / model cost: above 1, Temporal costs more than the model call. */
  orchestrationToModelCost: number | null;
  /** What the Temporal server itself counted during the measured phase (workflow modes). */
  server: ServerFigures | null;
  /**
   * CPU time per answered request over the measured phase, ms: this process (client, workers and
   * the recorded-model server: all of the bench but the server) and the dev server's process.
   * null where /proc cannot be read.
   */
  cpuMsPerRequest: { bench: number; server: number | null } | null;
  /** The machine's 1-minute load average when the cell ended (2 cores: above 2, work waits for a CPU). */
  loadAverage1m: number;
  /** Where a workflow request's time went, from the histories of sampled requests (means). */
  breakdown: Breakdown | null;
}

export interface ServerFigures {
  /** Billable actions per answered request, by the server's `action` counter. */
  actionsPerRequest: number;
  actionsByType: Record<string, number>;
  /** Those actions at costPerAction. */
  orchestrationCostUsdPerRequest: number;
  orchestrationToModelCost: number | null;
  /** Frontend RPCs per answered request, by operation. */
  rpcsPerRequest: Record<string, number>;
}

export interface Breakdown {
  samples: number;
  /** End-to-end latency of the sampled requests, as their caller saw it. */
  totalMs: number;
  /** Caller sends the start -> the server's first event. */
  toFirstEventMs: number;
  phasesMs: Record<Phase, number>;
  /** The server's last event -> the caller has the result. */
  toCallerMs: number;
  events: number;
  workflowTasks: number;
  activityTasks: number;
  /** The event types of one sampled request. */
  exampleEvents: string[];
}

export interface CellSpec {
  serverProfile: string;
  latencyScale: number;
  concurrency: number;
  mode: Mode;
}

/** 1-minute load average: other processes on the machine compete for its cores, and it shows. */
export const load1 = (): number => Math.round(os.loadavg()[0]! * 100) / 100;

export async function runCell(
  env: {
    stack: BenchStack;
    temporal: BenchTemporal;
    floor?: FloorWorker;
    rows: Row[];
    opts: Options;
    stop: () => boolean;
  },
  spec: CellSpec,
): Promise<Cell> {
  const { stack, temporal, floor, rows, opts, stop } = env;
  const { serverProfile, latencyScale, concurrency, mode } = spec;
  const prefix = `${stack.runId}-s${latencyScale}-c${concurrency}-${mode}`;
  if (opts.warmup > 0) {
    const warm = requestFn(stack, floor, mode, rows, opts.model, `${prefix}-warm`);
    await runPool({ count: opts.warmup, concurrency, call: warm, stop });
  }
  const workflows = mode !== 'direct';
  const counters = () => (workflows ? scrapeAfterFlush(temporal.metricsUrl, temporal.namespace) : null);
  const before = await counters();
  const request = requestFn(stack, floor, mode, rows, opts.model, prefix);
  const serverCpu = () => (temporal.serverPid !== null ? cpuSeconds(temporal.serverPid) : null);
  const cpuBefore = { bench: process.cpuUsage(), server: serverCpu() };
  const { samples, wallMs } = await runPool({
    count: opts.requests,
    concurrency,
    // Measured requests start at row `warmup`: every mode sees the same prompts in the same order.
    call: (i) => request(i + opts.warmup),
    stop,
  });
  const benchCpu = process.cpuUsage(cpuBefore.bench);
  const serverCpuAfter = serverCpu();
  const after = await counters();

  const ok = samples.filter((s): s is PoolSample<Outcome> & { value: Outcome } => s.value !== undefined);
  const failed = samples.filter((s) => s.value === undefined);
  const outcomes = ok.map((s) => s.value);
  const modelCost = mean(outcomes.map((o) => o.modelCostUsd));
  const costPerAction = stack.config.config.temporal.costPerAction;
  const server = before && after ? serverFigures(before, after, ok.length, costPerAction, modelCost) : null;
  // The floor workflow counts nothing itself: its actions are the server's count.
  const orchCost = isFloorMode(mode)
    ? (server?.orchestrationCostUsdPerRequest ?? NaN)
    : mean(outcomes.map((o) => o.orchestrationCostUsd));
  const perRequest = (ms: number) => (ok.length > 0 ? ms / ok.length : NaN);
  return {
    serverProfile,
    latencyScale,
    concurrency,
    mode,
    requests: ok.length,
    errors: failed.length,
    firstError: failed[0] ? errorText(failed[0].error) : null,
    escalated: outcomes.filter((o) => o.escalated).length,
    latencyMs: summarize(ok.map((s) => s.latencyMs)),
    addedMs: null,
    requestsPerSecond: ok.length / (wallMs / 1000),
    meanStartMs: workflows ? mean(outcomes.map((o) => o.startMs ?? NaN)) : null,
    meanModelMs: mean(outcomes.map((o) => o.modelMs)),
    actionsPerRequest: isFloorMode(mode)
      ? (server?.actionsPerRequest ?? NaN)
      : mean(outcomes.map((o) => o.actions)),
    orchestrationCostUsdPerRequest: orchCost,
    modelCostUsdPerRequest: modelCost,
    orchestrationToModelCost: workflows && modelCost > 0 ? orchCost / modelCost : null,
    server,
    cpuMsPerRequest: {
      bench: perRequest((benchCpu.user + benchCpu.system) / 1000),
      server:
        cpuBefore.server !== null && serverCpuAfter !== null
          ? perRequest((serverCpuAfter - cpuBefore.server) * 1000)
          : null,
    },
    loadAverage1m: load1(),
    breakdown: await breakdownOf(stack, outcomes, opts.historySamples),
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function serverFigures(
  before: ServerCounters,
  after: ServerCounters,
  requests: number,
  costPerAction: number,
  modelCost: number,
): ServerFigures {
  const actionsByType = perRequest(before.actions, after.actions, requests);
  const actionsPerRequest = Object.values(actionsByType).reduce((s, v) => s + v, 0);
  const cost = actionsPerRequest * costPerAction;
  return {
    actionsPerRequest,
    actionsByType,
    orchestrationCostUsdPerRequest: cost,
    orchestrationToModelCost: modelCost > 0 ? cost / modelCost : null,
    rpcsPerRequest: perRequest(before.requests, after.requests, requests),
  };
}

/** Reads the histories of up to `n` requests spread evenly over the cell (after it ran). */
async function breakdownOf(stack: BenchStack, outcomes: Outcome[], n: number): Promise<Breakdown | null> {
  const withId = outcomes.filter((o) => o.workflowId !== null);
  if (withId.length === 0 || n === 0) return null;
  const step = Math.max(1, withId.length / n);
  const picked: Outcome[] = [];
  for (let k = 0; k < withId.length && picked.length < n; k += step) picked.push(withId[Math.floor(k)]!);
  const read: { o: Outcome; h: HistoryBreakdown }[] = [];
  for (const o of picked) read.push({ o, h: await historyBreakdown(stack.client, o.workflowId!) });
  const avg = (f: (x: { o: Outcome; h: HistoryBreakdown }) => number) => mean(read.map(f));
  const phasesMs = Object.fromEntries(PHASES.map((p) => [p, avg(({ h }) => h.phasesMs[p])]));
  return {
    samples: read.length,
    totalMs: avg(({ o }) => o.answeredAtMs - o.sentAtMs),
    toFirstEventMs: avg(({ o, h }) => h.firstEventMs - o.sentAtMs),
    phasesMs: phasesMs as Record<Phase, number>,
    toCallerMs: avg(({ o, h }) => o.answeredAtMs - h.lastEventMs),
    events: avg(({ h }) => h.events),
    workflowTasks: avg(({ h }) => h.workflowTasks),
    activityTasks: avg(({ h }) => h.activityTasks),
    exampleEvents: read[0]!.h.eventTypes,
  };
}

/** Fills each workflow cell's added latency: its percentiles minus direct's at the same concurrency and scale. */
export function fillAdded(cells: Cell[]): void {
  for (const c of cells) {
    if (c.mode === 'direct') continue;
    const d = cells.find(
      (x) =>
        x.mode === 'direct' &&
        x.serverProfile === c.serverProfile &&
        x.concurrency === c.concurrency &&
        x.latencyScale === c.latencyScale,
    );
    if (!d || d.requests === 0 || c.requests === 0) continue;
    c.addedMs = {
      p50: c.latencyMs.p50 - d.latencyMs.p50,
      p95: c.latencyMs.p95 - d.latencyMs.p95,
      p99: c.latencyMs.p99 - d.latencyMs.p99,
    };
  }
}
