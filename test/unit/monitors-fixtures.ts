/**
 * Synthetic ledger rows for the monitor tests: a seeded stream of requests of one policy, shaped
 * like what the record activity writes (costs of a small/large ladder, self-checks, Temporal
 * actions, features, feedback, user retries), so each test states only what it varies.
 */
import { monitorsSchema } from '../../src/request/config/monitors-schema';
import type { FeedbackRow, PurposeCost, RequestRow } from '../../src/request/ledger/types';
import type { WindowData } from '../../src/watch/monitors/report-data';
import type { Window } from '../../src/watch/monitors/types';
import { seededRandom } from '../../src/request/router/random';

export const HOUR = 3_600_000;
export const T0 = Date.UTC(2026, 0, 15, 12);
export const config = (over: Record<string, unknown> = {}) => monitorsSchema.parse(over);

/** The project's seeded PRNG, so every "random" stream is the same on every run. */
export const rng = seededRandom;

export function requestRow(o: Partial<RequestRow> & { id: string }): RequestRow {
  return {
    runId: `run-${o.id}`,
    startedAt: T0,
    finishedAt: T0 + 1500,
    latencyMs: 1500,
    tenant: null,
    caller: null,
    task: 'qa',
    taskType: 'general',
    route: 'cascade',
    servedAs: 'routed',
    status: 'answered',
    rungModels: ['small', 'large'],
    finalModel: 'small',
    finalRung: 0,
    escalated: false,
    escalations: [],
    lastReason: null,
    attempts: 1,
    costUsd: 0,
    baselineCostUsd: 0,
    baselineEstimated: true,
    wastedCostUsd: 0,
    orchestrationActions: 0,
    orchestrationCostUsd: 0,
    confidenceModel: null,
    confidenceSource: null,
    rawConfidence: null,
    calibratedConfidence: null,
    schemaValid: null,
    configVersion: 'cfg-1',
    classifierVersion: 'rules-v1',
    calibrationVersion: 'cal-1',
    decisionMs: null,
    features: null,
    shadow: false,
    shadowOf: null,
    shadowAgreement: null,
    shadowAgreed: null,
    wouldHaveSavedUsd: null,
    wouldHaveEscalated: null,
    retryOf: null,
    retryLink: null,
    promptHash: null,
    traceVersion: 1,
    recordedAt: T0 + 2000,
    ...o,
  };
}

export interface StreamSpec {
  window: Window;
  n: number;
  seed: number;
  task?: string;
  /** Task type per request: hard requests get `hardType` (default: the same type as easy ones). */
  easyType?: string;
  hardType?: string;
  hardShare: number;
  /** P(escalate) of an easy and a hard request. */
  escalateEasy?: number;
  escalateHard?: number;
  /** P(correct) of the small model on easy / hard requests, and of the large model. */
  smallCorrectEasy?: number;
  smallCorrectHard?: number;
  largeCorrect?: number;
  /** Share of requests that get feedback. */
  feedbackRate?: number;
  /** P(user retry) of a small-served / large-served request. */
  retrySmall?: number;
  retryLarge?: number;
  /** Per-answer prices; the baseline is the large model alone. */
  smallCostUsd?: number;
  largeCostUsd?: number;
  checkCostUsd?: number;
  actions?: number;
  costPerAction?: number;
  decisionMs?: number;
  idPrefix?: string;
}

export interface Stream extends WindowData {
  /** User retries (started after their request, possibly after the window). */
  retries: RequestRow[];
}

/**
 * A window of one policy's traffic: requests spread evenly in time, each easy or hard; the small
 * model answers and self-checks, escalations call the large model (the small answer is wasted).
 */
export function stream(s: StreamSpec): Stream {
  const rand = rng(s.seed);
  const task = s.task ?? 'qa';
  const small = s.smallCostUsd ?? 0.0002;
  const large = s.largeCostUsd ?? 0.004;
  const check = s.checkCostUsd ?? 0.00005;
  const actions = s.actions ?? 6;
  const perAction = s.costPerAction ?? 0.000025;
  const requests: RequestRow[] = [];
  const feedback: FeedbackRow[] = [];
  const calls: PurposeCost[] = [];
  const retries: RequestRow[] = [];
  const span = s.window.to - s.window.from;
  for (let i = 0; i < s.n; i++) {
    const id = `${s.idPrefix ?? task}-${s.seed}-${i}`;
    const startedAt = s.window.from + Math.floor(((i + rand()) * span) / s.n);
    const hard = rand() < s.hardShare;
    const escalated = rand() < (hard ? (s.escalateHard ?? 0.8) : (s.escalateEasy ?? 0.1));
    const tokens = Math.round((hard ? 700 : 150) * Math.exp(0.4 * gauss(rand)));
    const features = {
      approxTokens: tokens,
      codeBlocks: hard && rand() < 0.4 ? 1 : 0,
      instructions: hard ? 2 + Math.floor(rand() * 3) : Math.floor(rand() * 2),
      complexity: Math.min(1, Math.max(0, (hard ? 0.65 : 0.25) + 0.1 * gauss(rand))),
    };
    const cost = small + check + (escalated ? large : 0);
    calls.push(
      {
        requestId: id,
        purpose: 'answer',
        model: 'small',
        attempts: 1,
        okAttempts: 1,
        estimatedAttempts: 0,
        estimatedCostUsd: 0,
        costUsd: small,
        tokensIn: tokens,
        tokensOut: 120,
      },
      {
        requestId: id,
        purpose: 'self_check',
        model: 'small',
        attempts: 1,
        okAttempts: 1,
        estimatedAttempts: 0,
        estimatedCostUsd: 0,
        costUsd: check,
        tokensIn: tokens + 130,
        tokensOut: 1,
      },
    );
    if (escalated) {
      calls.push({
        requestId: id,
        purpose: 'answer',
        model: 'large',
        attempts: 1,
        okAttempts: 1,
        estimatedAttempts: 0,
        estimatedCostUsd: 0,
        costUsd: large,
        tokensIn: tokens,
        tokensOut: 200,
      });
    }
    const row = requestRow({
      id,
      startedAt,
      finishedAt: startedAt + 1500,
      task,
      taskType: hard ? (s.hardType ?? s.easyType ?? 'general') : (s.easyType ?? 'general'),
      finalModel: escalated ? 'large' : 'small',
      finalRung: escalated ? 1 : 0,
      escalated,
      escalations: escalated ? [{ from: 'small', to: 'large', reason: 'low_confidence' }] : [],
      lastReason: escalated ? 'low_confidence' : null,
      attempts: escalated ? 3 : 2,
      costUsd: cost,
      baselineCostUsd: large,
      wastedCostUsd: escalated ? small : 0,
      orchestrationActions: actions,
      orchestrationCostUsd: actions * perAction,
      confidenceModel: 'small',
      confidenceSource: 'self_check',
      rawConfidence: escalated ? -1.2 + 0.3 * gauss(rand) : -0.15 + 0.05 * gauss(rand),
      calibratedConfidence: escalated ? 0.5 : 0.85,
      decisionMs: s.decisionMs ?? 1.5,
      features,
    });
    requests.push(row);
    const pCorrect = escalated
      ? (s.largeCorrect ?? 0.9)
      : hard
        ? (s.smallCorrectHard ?? 0.6)
        : (s.smallCorrectEasy ?? 0.92);
    if (rand() < (s.feedbackRate ?? 0.5)) {
      feedback.push({
        id: feedback.length + 1,
        requestId: id,
        createdAt: startedAt + 60_000,
        score: rand() < pCorrect ? 1 : 0,
        label: null,
        source: 'eval',
        key: null,
      });
    }
    if (rand() < (escalated ? (s.retryLarge ?? 0.04) : (s.retrySmall ?? 0.04))) {
      retries.push(
        requestRow({
          id: `${id}-retry`,
          startedAt: startedAt + 120_000,
          task,
          costUsd: small + check,
          baselineCostUsd: large,
          orchestrationCostUsd: actions * perAction,
          retryOf: id,
          retryLink: 'auto',
        }),
      );
    }
  }
  return { window: s.window, requests, feedback, calls, retries };
}

/** Standard normal draw (Box-Muller). */
export function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Several streams of the same window as one (e.g. two tasks), ids kept apart by their prefixes. */
export function merge(window: Window, ...parts: Stream[]): Stream {
  return {
    window,
    requests: parts.flatMap((p) => p.requests).sort((a, b) => a.startedAt - b.startedAt),
    feedback: parts.flatMap((p) => p.feedback),
    calls: parts.flatMap((p) => p.calls),
    retries: parts.flatMap((p) => p.retries),
  };
}

export const WINDOW: Window = { from: T0, to: T0 + HOUR };
export const REFERENCE: Window = { from: T0 - 24 * HOUR, to: T0 };
