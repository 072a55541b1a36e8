/**
 * The trace of one request (docs/architecture.md, "Contracts"): what was decided, every model call
 * and every attempt with what it billed, every check and escalation, and the totals that say
 * whether routing paid for this request. Returned as the workflow result and served by the
 * `trace` query while the workflow runs. Versioned: a consumer checks `traceVersion`.
 */
import type { TokenLogprob, ToolCall } from '../providers/types';
import type { CalibrationMap, Route } from './policy';
import type { RungSkip } from './rung-decision';

export const TRACE_VERSION = 1;

/** The closed list of escalation reasons (Contracts). */
export const ESCALATION_REASONS = [
  'schema_invalid',
  'low_confidence',
  'rung_failed',
  'endpoint_unavailable',
  'latency_budget',
  'spend_cap',
  'config_error',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** `shadow`: an answer call of a shadow child (the routed path that did not serve). */
export type CallPurpose = 'answer' | 'self_check' | 'judge' | 'shadow';

export interface AttemptRecord {
  attempt: number;
  ok: boolean;
  /** null on success; one of the provider error classes otherwise. */
  errorClass: string | null;
  /** HTTP status when the endpoint answered; null for timeouts and resets. */
  status: number | null;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Backoff the workflow waited before the next attempt (durable timer), when it retried. */
  backoffMs?: number;
  /** The provider's message for a failure, without secrets. */
  error?: string;
  /** Which of the model's endpoints served the attempt (0 = primary, then its failovers). */
  endpoint?: number;
  /**
   * The usage and cost are an estimate (a call lost in flight with its worker: input tokens
   * counted locally, output unknown). Absent: as the provider reported them.
   */
  estimated?: boolean;
  /**
   * A durable (or lean) attempt that timed out in Temporal: its activity's id, the call journal's
   * key for what it used (src/request/router/lost-usage.ts). Absent otherwise, and in older traces.
   */
  activityId?: string;
  /**
   * What a successful answer call replied besides its text, kept for the caller when the request
   * set chat-completions parameters or tools (absent otherwise, and in older traces): its tool
   * calls, why it stopped, and the token logprobs the caller asked for.
   */
  reply?: ServedReply;
}

export interface ServedReply {
  toolCalls?: ToolCall[];
  finishReason?: string;
  logprobs?: TokenLogprob[];
}

export interface CallRecord {
  rung: number;
  model: string;
  purpose: CallPurpose;
  attempts: AttemptRecord[];
}

export interface CheckRecord {
  rung: number;
  model: string;
  kind: 'schema' | 'confidence';
  passed: boolean;
  /** Confidence checks: the raw signal (a logprob or log P(yes)) and the calibrated P(correct). */
  source?: string;
  raw?: number | null;
  calibrated?: number | null;
  threshold?: number | null;
  /** Schema checks: the validator's complaints. */
  errors?: string[];
  detail?: string;
}

export interface EscalationRecord {
  from: string;
  /** null when there was no rung left to escalate to. */
  to: string | null;
  reason: EscalationReason;
}

export interface DecisionRecord {
  /** `rules-v1` (the structural baseline, no labelled data) or the trained classifier's `clf-` version. */
  classifierVersion: string;
  taskType: string;
  complexity: number;
  features: Record<string, number>;
  decisionMs: number;
  /** The classifier's P(the rung's answer is good enough), per rung (null: no head, e.g. the last rung). */
  predicted?: (number | null)[];
  /** The classifier's guess at the task type (when it was trained on several). */
  predictedTaskType?: { label: string; p: number };
  /** Why the policy's classifier was not used, and the rules baseline decided instead. */
  classifierFallback?: string;
  /** Rungs the policy skipped before calling them (the classifier's skip points); not escalations. */
  skippedRungs?: number[];
}

export interface Trace {
  traceVersion: number;
  requestId: string;
  route: Route;
  taskType: string;
  status: 'running' | 'answered' | 'failed' | 'cancelled';
  policy: {
    configVersion: string;
    calibrationVersion: string;
    servedAs?: string;
    /** With a calibration artefact: each rung's calibration map, threshold and skip rule as decided with. */
    rungs?: { model: string; calibration: CalibrationMap; threshold: number | null; skip: RungSkip | null }[];
  };
  decision: DecisionRecord | null;
  calls: CallRecord[];
  checks: CheckRecord[];
  escalations: EscalationRecord[];
  /** The served answer; model and answer are null when no rung produced one. */
  final: { model: string | null; rung: number | null; answer: string | null };
  /** Why the request ended without an answer. */
  error?: string;
  /** Latency-budget dispatch: the live signals read and the choice made. */
  dispatch?: DispatchRecord;
  /** Shadow mode: the parent names its child; the child records what routing would have done. */
  shadow?: ShadowParentRecord | ShadowChildRecord;
  totals: {
    costUsd: number;
    /** What the request would have cost on the last (strongest) rung alone. */
    baselineCostUsd: number;
    /** True when the strongest rung was not called and its cost is estimated from token counts. */
    baselineEstimated: boolean;
    /** Spent on rungs whose answer was not served: the price of a double-cost fallback. */
    wastedCostUsd: number;
    attempts: number;
    orchestrationActions: number;
    orchestrationCostUsd: number;
  };
}

export interface DispatchCandidate {
  model: string;
  /** Tasks waiting on the model's Temporal task queue (describeTaskQueue stats), null if unread. */
  temporalBacklog: number | null;
  /** Calls this worker process has queued or in flight for the model. */
  workerInFlight: number | null;
  /** Requests waiting at the endpoint itself (its /metrics), null when it exposes none. */
  endpointQueue: number | null;
  /** The larger of the three signals' waits. */
  expectedWaitMs: number;
  expectedServiceMs: number;
  estimatedCostUsd: number;
  fits: boolean;
  /** The endpoint's parallel slots the depths are divided by. */
  concurrency?: number;
  /** Each signal's implied wait (depth / concurrency × service), null if unread. */
  waitBySignalMs?: {
    temporalBacklog: number | null;
    workerInFlight: number | null;
    endpointQueue: number | null;
  };
  /** `observed`: median of recent calls in the worker; `configured`: the model's expectedLatencyMs. */
  serviceSource?: 'observed' | 'configured';
  /** Signals that could not be read, and why. */
  errors?: string[];
}

export interface DispatchRecord {
  budgetMs: number;
  candidates: DispatchCandidate[];
  chosen: string;
  /** Nothing fitted the budget: the fastest candidate was taken. */
  budgetExceeded: boolean;
  /** The cheapest candidate: when it is not `chosen`, the budget changed the model. */
  cheapest?: string;
  /** The request's prompt-token estimate the costs are for. */
  tokensIn?: number;
  /** When the signals were read (worker clock) and how long reading took. */
  readAt?: string;
  readMs?: number;
}

export interface ShadowParentRecord {
  role: 'parent';
  childWorkflowId: string;
}

export interface ShadowAgreement {
  exact: boolean;
  /** Equal after trimming, lower-casing and collapsing white space and trailing punctuation. */
  normalized: boolean;
  /** Equal as JSON values (the task has a response schema); null otherwise. */
  schemaEqual: boolean | null;
}

export interface ShadowChildRecord {
  role: 'child';
  parentWorkflowId: string;
  /** What the baseline served, as the parent signalled it; null if it never did. */
  served: { model: string | null; answer: string | null; costUsd: number } | null;
  agreement: ShadowAgreement | null;
  /** The routed path's cost (model calls), against the served baseline's. */
  wouldHaveCostUsd: number;
  wouldHaveSavedUsd: number | null;
  wouldHaveEscalated: boolean;
}
