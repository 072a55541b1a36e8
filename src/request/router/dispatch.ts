/**
 * Latency-budget dispatch, the decision (pure: no I/O, no clocks). Given the candidates' live
 * queue signals (read by the endpoint-snapshot local activity, so they are recorded in history)
 * and the request's budget, choose the cheapest candidate whose expected wait plus service time
 * fits the budget; if none fits, the fastest, flagged `budgetExceeded`.
 *
 * The wait model. Each signal counts requests that stand between a new call and a free slot of
 * the model's endpoint, seen from one vantage point:
 *
 *   temporalBacklog  tasks waiting on the model's task queue `cascade-model-<modelId>` for a
 *                    worker slot (cluster-wide: every worker's and every client's calls);
 *   workerInFlight   calls this worker process has started and not finished (at the endpoint,
 *                    queued or being served);
 *   endpointQueue    requests waiting inside the endpoint itself (its /metrics: vLLM's
 *                    `num_requests_waiting`, the recorded-model server's `recorded_queue_depth`),
 *                    which includes traffic that never went through Temporal.
 *
 * A depth d in front of an endpoint with c parallel slots, each call taking s ms, drains in
 * d / c × s ms: the wait implied by that signal (conservative: a call already being served is
 * counted as a whole service time). The expected wait is the MAXIMUM over the signals that were
 * read, not their sum: they are views of one pipeline from different places, partly of the same
 * requests (a worker's in-flight calls are also at the endpoint), and often not all available,
 * so the worst view is taken rather than adding overlapping counts. A signal that could not be
 * read is null and implies nothing; with no signal at all the wait is 0.
 *
 * Service time s: the median of the model's recent observed latencies in this worker, else the
 * model's configured `expectedLatencyMs`. Cost: the request's input-token estimate and the
 * model's expected output tokens at the model's prices.
 */

import type { DispatchRecord } from './trace';

export interface DispatchSignals {
  temporalBacklog: number | null;
  workerInFlight: number | null;
  endpointQueue: number | null;
}

export type SignalName = keyof DispatchSignals;
export const SIGNAL_NAMES: readonly SignalName[] = ['temporalBacklog', 'workerInFlight', 'endpointQueue'];

export interface DispatchCandidateInput {
  model: string;
  pricing: { inputPerMTok: number; outputPerMTok: number };
  /** Parallel slots of the model's endpoint (its task queue's worker slots). */
  concurrency: number;
  /** Expected service time of one call, ms. */
  serviceMs: number;
  /** Where serviceMs came from: recent calls, or the configured expectation. */
  serviceSource: 'observed' | 'configured';
  /** Expected output tokens of this model's answer. */
  tokensOut: number;
  signals: DispatchSignals;
}

export interface DispatchInput {
  budgetMs: number;
  /** Estimated prompt tokens of the request. */
  tokensIn: number;
  candidates: DispatchCandidateInput[];
}

export interface ScoredCandidate {
  model: string;
  /** Index in the input's candidates (the rung). */
  index: number;
  waitBySignalMs: { [K in SignalName]: number | null };
  expectedWaitMs: number;
  expectedServiceMs: number;
  estimatedCostUsd: number;
  fits: boolean;
}

export interface DispatchDecision {
  candidates: ScoredCandidate[];
  /** Candidate indexes in the order to try them: the chosen one first, then the fallbacks. */
  order: number[];
  chosen: number;
  /** The cheapest candidate, fitting or not (the one a budget-free router would have taken). */
  cheapest: number;
  budgetExceeded: boolean;
}

const PER_MILLION = 1_000_000;

/** The wait one depth signal implies: depth / concurrency × service; null for an unread signal. */
export function waitForDepth(depth: number | null, concurrency: number, serviceMs: number): number | null {
  if (depth === null || !Number.isFinite(depth)) return null;
  const c = Number.isFinite(concurrency) && concurrency >= 1 ? concurrency : 1;
  return (Math.max(0, depth) / c) * Math.max(0, serviceMs);
}

export function scoreCandidate(
  c: DispatchCandidateInput,
  index: number,
  budgetMs: number,
  tokensIn: number,
): ScoredCandidate {
  const waitBySignalMs = {
    temporalBacklog: waitForDepth(c.signals.temporalBacklog, c.concurrency, c.serviceMs),
    workerInFlight: waitForDepth(c.signals.workerInFlight, c.concurrency, c.serviceMs),
    endpointQueue: waitForDepth(c.signals.endpointQueue, c.concurrency, c.serviceMs),
  };
  let expectedWaitMs = 0;
  for (const name of SIGNAL_NAMES) expectedWaitMs = Math.max(expectedWaitMs, waitBySignalMs[name] ?? 0);
  const expectedServiceMs = Math.max(0, c.serviceMs);
  const estimatedCostUsd =
    (Math.max(0, tokensIn) * c.pricing.inputPerMTok + Math.max(0, c.tokensOut) * c.pricing.outputPerMTok) /
    PER_MILLION;
  return {
    model: c.model,
    index,
    waitBySignalMs,
    expectedWaitMs,
    expectedServiceMs,
    estimatedCostUsd,
    fits: expectedWaitMs + expectedServiceMs <= budgetMs,
  };
}

/**
 * Choose: the cheapest candidate that fits (ties: the earlier candidate); if none fits, the
 * fastest (least wait + service; ties: the cheaper, then the earlier). The try order after the
 * chosen one: the other fitting candidates by cost, then the rest from the fastest.
 */
export function decideDispatch(input: DispatchInput): DispatchDecision {
  if (input.candidates.length === 0) throw new Error('latency-budget dispatch needs at least one candidate');
  const scored = input.candidates.map((c, i) => scoreCandidate(c, i, input.budgetMs, input.tokensIn));
  const byCost = (a: ScoredCandidate, b: ScoredCandidate) =>
    a.estimatedCostUsd - b.estimatedCostUsd || a.index - b.index;
  const bySpeed = (a: ScoredCandidate, b: ScoredCandidate) =>
    a.expectedWaitMs + a.expectedServiceMs - (b.expectedWaitMs + b.expectedServiceMs) || byCost(a, b);
  const fitting = scored.filter((s) => s.fits).sort(byCost);
  const rest = scored.filter((s) => !s.fits).sort(bySpeed);
  const order = [...fitting, ...rest].map((s) => s.index);
  const cheapest = [...scored].sort(byCost)[0]!.index;
  return { candidates: scored, order, chosen: order[0]!, cheapest, budgetExceeded: fitting.length === 0 };
}

/** What the worker's endpoint snapshot reports for one model (see src/temporal/activities/endpoint-snapshot). */
export interface ModelReading extends DispatchSignals {
  model: string;
  /** Median of this worker's recent successful call latencies for the model; null before any. */
  observedServiceMs: number | null;
  /** How many recent calls that median is over. */
  observedSamples: number;
  /** Median output tokens of those calls; null before any. */
  observedTokensOut: number | null;
  /** Signals that could not be read, and why (they are null above). */
  errors?: string[];
}

export interface EndpointSnapshot {
  /** When the signals were read (the worker's clock, ISO 8601): part of the recorded result. */
  readAt: string;
  /** How long reading them took, ms. */
  readMs: number;
  models: ModelReading[];
}

/** The model facts the decision needs from the policy snapshot. */
export interface CandidateModel {
  model: string;
  pricing: { inputPerMTok: number; outputPerMTok: number };
  concurrency?: number;
  expectedLatencyMs?: number;
}

/** Service time assumed when neither recent calls nor the config say (histories without it). */
export const DEFAULT_SERVICE_MS = 1_000;
/** Output tokens assumed for the cost estimate before a model's answers have been observed. */
export const DEFAULT_TOKENS_OUT = 256;

/** Joins the policy's models with a snapshot's readings into the decision's input. */
export function candidatesFromSnapshot(
  models: CandidateModel[],
  snapshot: EndpointSnapshot,
): DispatchCandidateInput[] {
  return models.map((m) => {
    const r = snapshot.models.find((x) => x.model === m.model);
    const observed = r?.observedServiceMs ?? null;
    return {
      model: m.model,
      pricing: m.pricing,
      concurrency: m.concurrency ?? 1,
      serviceMs: observed ?? m.expectedLatencyMs ?? DEFAULT_SERVICE_MS,
      serviceSource: observed !== null ? 'observed' : 'configured',
      tokensOut: r?.observedTokensOut ?? DEFAULT_TOKENS_OUT,
      signals: {
        temporalBacklog: r?.temporalBacklog ?? null,
        workerInFlight: r?.workerInFlight ?? null,
        endpointQueue: r?.endpointQueue ?? null,
      },
    };
  });
}

/** The decision as the trace records it: every candidate's signals, waits, cost and fit. */
export function dispatchRecord(
  input: DispatchInput,
  decision: DispatchDecision,
  snapshot?: Pick<EndpointSnapshot, 'readAt' | 'readMs' | 'models'>,
): DispatchRecord {
  return {
    budgetMs: input.budgetMs,
    tokensIn: input.tokensIn,
    candidates: decision.candidates.map((s) => {
      const c = input.candidates[s.index]!;
      const errors = snapshot?.models.find((r) => r.model === s.model)?.errors ?? [];
      return {
        model: s.model,
        temporalBacklog: c.signals.temporalBacklog,
        workerInFlight: c.signals.workerInFlight,
        endpointQueue: c.signals.endpointQueue,
        expectedWaitMs: round(s.expectedWaitMs),
        expectedServiceMs: round(s.expectedServiceMs),
        estimatedCostUsd: s.estimatedCostUsd,
        fits: s.fits,
        concurrency: c.concurrency,
        waitBySignalMs: {
          temporalBacklog: roundOrNull(s.waitBySignalMs.temporalBacklog),
          workerInFlight: roundOrNull(s.waitBySignalMs.workerInFlight),
          endpointQueue: roundOrNull(s.waitBySignalMs.endpointQueue),
        },
        serviceSource: c.serviceSource,
        ...(errors.length > 0 ? { errors } : {}),
      };
    }),
    chosen: decision.candidates[decision.chosen]!.model,
    cheapest: decision.candidates[decision.cheapest]!.model,
    budgetExceeded: decision.budgetExceeded,
    ...(snapshot ? { readAt: snapshot.readAt, readMs: snapshot.readMs } : {}),
  };
}

/** Milliseconds to 0.1 ms in the record: the decision itself used the exact values. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function roundOrNull(ms: number | null): number | null {
  return ms === null ? null : round(ms);
}
