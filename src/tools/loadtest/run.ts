/**
 * An open-loop load test: arrivals at a target rate (seeded exponential gaps, so arrivals do not
 * wait for answers, as real traffic does not), drawn from a sample in its own mix, for a bounded
 * time and count, one step per rate. Per request: end-to-end time, the decision time
 * (trace.decision.decisionMs), model time (the attempts' latencies) and added time
 * (end-to-end - model). Per 5 s window and per step: throughput and percentiles; a step is
 * saturated when throughput stops tracking the offered rate or added p95 passes a bound.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { seededRandom, shuffledIndices } from '../../request/router/random';
import { percentile } from '../profile/summary';
import type { SampleRow } from '../profile/sample';
import type { LoadtestStep, LoadtestWindow, Percentiles } from './types';

export interface Outcome {
  ok: boolean;
  decisionMs: number | null;
  modelMs: number | null;
  error?: string;
}

/** Sends one request (the row with a fresh id) and resolves when it is answered or failed. */
export type Sender = (row: SampleRow, id: string) => Promise<Outcome>;

export interface StepOptions {
  rows: SampleRow[];
  rate: number;
  durationMs: number;
  maxRequests: number;
  send: Sender;
  idPrefix: string;
  seed: number;
  addedBoundMs: number;
  windowMs?: number;
  /** How long to wait for stragglers after the last arrival. */
  drainMs?: number;
  onEvent?: (e: { sent: number; done: number }) => void;
  signal?: AbortSignal;
}

interface Done {
  arrivedAt: number;
  finishedAt: number;
  e2eMs: number;
  outcome: Outcome;
}

const pcts = (xs: number[]): Percentiles => ({
  p50: percentile(xs, 0.5),
  p95: percentile(xs, 0.95),
  p99: percentile(xs, 0.99),
});

export async function runStep(opts: StepOptions): Promise<LoadtestStep> {
  const windowMs = opts.windowMs ?? 5000;
  const rnd = seededRandom(opts.seed);
  const order = shuffledIndices(opts.rows.length, opts.seed);
  const done: Done[] = [];
  const inflight = new Set<Promise<void>>();
  const arrivals: number[] = [];
  const t0 = performance.now();
  let sent = 0;
  let next = 0;
  while (sent < opts.maxRequests && !opts.signal?.aborted) {
    if (next >= opts.durationMs) break;
    const wait = t0 + next - performance.now();
    if (wait > 0) await sleep(wait);
    const row = opts.rows[order[sent % order.length]!]!;
    const id = `${opts.idPrefix}${sent}`;
    const arrivedAt = performance.now() - t0;
    arrivals.push(arrivedAt);
    const p = opts
      .send(row, id)
      .catch((err: unknown): Outcome => ({
        ok: false,
        decisionMs: null,
        modelMs: null,
        error: (err as Error)?.message ?? String(err),
      }))
      .then((outcome) => {
        const finishedAt = performance.now() - t0;
        done.push({ arrivedAt, finishedAt, e2eMs: finishedAt - arrivedAt, outcome });
        opts.onEvent?.({ sent, done: done.length });
      });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    sent++;
    opts.onEvent?.({ sent, done: done.length });
    next += (-Math.log(1 - rnd()) / opts.rate) * 1000;
  }
  const arrivalPhase = Math.max(performance.now() - t0, 1);
  const drain = opts.drainMs ?? 60_000;
  // The drain timer ends with the race: left running, it would hold the process for the whole
  // drain after the last answer (a `cascade loadtest --json` that printed and did not exit).
  const drained = new AbortController();
  await Promise.race([
    Promise.all([...inflight]),
    sleep(drain, undefined, { signal: drained.signal }).catch(() => undefined),
  ]);
  drained.abort();
  const unfinished = sent - done.length;

  const ok = done.filter((d) => d.outcome.ok);
  const errs = done.filter((d) => !d.outcome.ok);
  const model = ok.map((d) => d.outcome.modelMs).filter((x): x is number => x !== null);
  const added = ok.filter((d) => d.outcome.modelMs !== null).map((d) => d.e2eMs - d.outcome.modelMs!);
  const decision = ok.map((d) => d.outcome.decisionMs).filter((x): x is number => x !== null);
  const finishes = ok.map((d) => d.finishedAt).sort((a, b) => a - b);
  // Completions per second in the steady flow: from the first completion to the last.
  const throughput =
    finishes.length >= 2
      ? ((finishes.length - 1) / (finishes[finishes.length - 1]! - finishes[0]!)) * 1000
      : 0;
  const sentRate = sent / (arrivalPhase / 1000);

  const windows: LoadtestWindow[] = [];
  const end = Math.max(arrivalPhase, ...done.map((d) => d.finishedAt));
  for (let w = 0; w < end; w += windowMs) {
    const inW = ok.filter((d) => d.finishedAt >= w && d.finishedAt < w + windowMs);
    const span = Math.min(windowMs, end - w) / 1000;
    windows.push({
      t: w / 1000,
      offered: arrivals.filter((a) => a >= w && a < w + windowMs).length,
      completed: inW.length,
      errors: errs.filter((d) => d.finishedAt >= w && d.finishedAt < w + windowMs).length,
      throughput: span > 0 ? inW.length / span : 0,
      e2eP95Ms: percentile(
        inW.map((d) => d.e2eMs),
        0.95,
      ),
      decisionP95Ms: percentile(
        inW.map((d) => d.outcome.decisionMs).filter((x): x is number => x !== null),
        0.95,
      ),
      addedP95Ms: percentile(
        inW.filter((d) => d.outcome.modelMs !== null).map((d) => d.e2eMs - d.outcome.modelMs!),
        0.95,
      ),
      modelP95Ms: percentile(
        inW.map((d) => d.outcome.modelMs).filter((x): x is number => x !== null),
        0.95,
      ),
    });
  }

  const addedP = pcts(added);
  const reasons: string[] = [];
  if (ok.length >= 2 && throughput < 0.9 * Math.min(opts.rate, sentRate)) {
    reasons.push(
      `throughput ${throughput.toFixed(2)}/s below 90% of the offered ${Math.min(opts.rate, sentRate).toFixed(2)}/s`,
    );
  }
  if (addedP.p95 !== null && addedP.p95 > opts.addedBoundMs) {
    reasons.push(`added p95 ${addedP.p95.toFixed(0)} ms above the ${opts.addedBoundMs} ms bound`);
  }
  const failed = errs.length + unfinished;
  if (sent > 0 && failed / sent > 0.01)
    reasons.push(`${failed} of ${sent} requests failed or did not finish`);
  const shares = ok
    .filter((d) => d.outcome.modelMs !== null && d.e2eMs > 0)
    .map((d) => (d.e2eMs - d.outcome.modelMs!) / d.e2eMs);
  const addedShare = percentile(shares, 0.5);
  return {
    offeredRate: opts.rate,
    sentRate,
    durationMs: end,
    requests: sent,
    completed: ok.length,
    errors: failed,
    errorSamples: [...new Set(errs.map((d) => d.outcome.error ?? 'failed'))]
      .slice(0, 5)
      .concat(unfinished ? [`${unfinished} unfinished after the drain`] : []),
    throughput,
    e2eMs: pcts(ok.map((d) => d.e2eMs)),
    decisionMs: pcts(decision),
    modelMs: pcts(model),
    addedMs: addedP,
    windows,
    saturated: reasons.length > 0,
    saturationReasons: reasons,
    // Saturated, and the time that grew is the router's (added), not the models'.
    routerBottleneck: reasons.length > 0 && addedShare !== null && addedShare > 0.5,
    addedShare,
  };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Whether a host (or host:port, or URL) is this machine. */
export function isLoopback(target: string): boolean {
  let host = target;
  try {
    if (/^[a-z]+:\/\//i.test(target)) host = new URL(target).hostname;
    else host = target.replace(/:\d+$/, '');
  } catch {
    return false;
  }
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
