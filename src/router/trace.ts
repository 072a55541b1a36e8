/**
 * The trace of one request (DESIGN.md, Contracts, "Trace"): what was decided, every model call
 * and every attempt with what it billed, every check and escalation, and the totals that say
 * whether routing paid for this request. Returned as the workflow result and served by the
 * `trace` query while the workflow runs. Versioned: a consumer checks `traceVersion`.
 */
import type { Route } from './policy';

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

export type CallPurpose = 'answer' | 'self_check' | 'shadow';

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
  classifierVersion: string;
  taskType: string;
  complexity: number;
  features: Record<string, number>;
  decisionMs: number;
}

export interface Trace {
  traceVersion: number;
  requestId: string;
  route: Route;
  taskType: string;
  status: 'running' | 'answered' | 'failed';
  policy: { configVersion: string; calibrationVersion: string };
  decision: DecisionRecord | null;
  calls: CallRecord[];
  checks: CheckRecord[];
  escalations: EscalationRecord[];
  /** The served answer; model and answer are null when no rung produced one. */
  final: { model: string | null; rung: number | null; answer: string | null };
  /** Why the request ended without an answer. */
  error?: string;
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
