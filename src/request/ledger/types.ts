/**
 * The outcome ledger (docs/ledger.md): one row per request, one per model attempt, one per
 * feedback event. Written once per request by the record-outcome activity at the end of its
 * workflow, read by tests, `cascade feedback`, spend caps and (later) reports.
 *
 * Everything in it comes from the trace and the request's labels: no prompt text (only its
 * sha256), no answer, no provider message, no key.
 */
import type { AttemptRecord, CallPurpose, EscalationRecord, ShadowAgreement } from '../router/trace';
import type { EvaluationQuery, EvaluationReport, StoredEvaluation } from './evaluations';
import type { CallKey, CallStart, CallUsage, EarlierExecution } from './call-journal';

/** What one request's row and attempt rows are built from (src/request/ledger/outcome.ts). */
export interface OutcomeRecord {
  /** The workflow id: the request id, or `<request-id>:shadow` for a shadow child. */
  id: string;
  runId: string;
  /** Workflow start and finish (workflow time), epoch ms. */
  startedAt: number;
  finishedAt: number;
  latencyMs: number;
  tenant: string | null;
  /** metadata.caller, else metadata.tenant: whose retries are linked automatically. */
  caller: string | null;
  task: string;
  taskType: string;
  route: string;
  servedAs: string;
  status: string;
  /** Models of the policy's rungs, cheapest first. */
  rungModels: string[];
  finalModel: string | null;
  finalRung: number | null;
  escalated: boolean;
  escalations: EscalationRecord[];
  lastReason: string | null;
  attempts: number;
  costUsd: number;
  baselineCostUsd: number;
  baselineEstimated: boolean;
  wastedCostUsd: number;
  orchestrationActions: number;
  orchestrationCostUsd: number;
  /** The deciding confidence check (the last one: see outcome.ts); null when none ran. */
  confidenceModel: string | null;
  confidenceSource: string | null;
  rawConfidence: number | null;
  calibratedConfidence: number | null;
  /** The deciding schema check's result; null when no schema check ran. */
  schemaValid: boolean | null;
  configVersion: string;
  classifierVersion: string | null;
  calibrationVersion: string;
  decisionMs: number | null;
  /** The classifier's features and complexity; null on the static route. */
  features: Record<string, number> | null;
  shadow: boolean;
  /** The served request a shadow child ran beside. */
  shadowOf: string | null;
  shadowAgreement: ShadowAgreement | null;
  /** Normalised agreement of the shadow's answer with the served one (JSON equality when schema'd). */
  shadowAgreed: boolean | null;
  wouldHaveSavedUsd: number | null;
  wouldHaveEscalated: boolean | null;
  /** The request this one names as the one it retries (explicit `retryOf`). */
  retryOf: string | null;
  /** sha256 of the request's messages (never the text). */
  promptHash: string | null;
  traceVersion: number;
  attemptRows: AttemptRow[];
}

/**
 * One attempt of the trace (AttemptRecord: its figures, as the trace has them) with the call it
 * belongs to; the trace's optional fields are columns that are null (or false) when absent.
 */
export interface AttemptRow extends Pick<
  AttemptRecord,
  'attempt' | 'ok' | 'errorClass' | 'status' | 'latencyMs' | 'tokensIn' | 'tokensOut' | 'costUsd'
> {
  /** Index of the call in the trace's `calls`. */
  callIndex: number;
  rung: number;
  model: string;
  purpose: CallPurpose;
  endpoint: number | null;
  backoffMs: number | null;
  /** Usage and cost are an estimate (a call lost in flight with its worker: migration 3). */
  estimated: boolean;
}

/** A request row as read back. */
export interface RequestRow extends Omit<OutcomeRecord, 'attemptRows' | 'retryOf'> {
  retryOf: string | null;
  /** `explicit` (the request named it) or `auto` (same caller and prompt within the window). */
  retryLink: 'explicit' | 'auto' | null;
  /** When the ledger wrote the row, epoch ms. */
  recordedAt: number;
}

export interface FeedbackInput {
  /** The quality signal: a rating, 0/1 for a validation, an eval score. Any finite number. */
  score: number;
  label?: string;
  /** Where it came from (`api`, `cli`, `eval`, a service name). */
  source?: string;
  /** Idempotency key: a second event with the same key for the same request is not added. */
  key?: string;
}

export interface FeedbackRow {
  id: number;
  requestId: string;
  createdAt: number;
  score: number;
  label: string | null;
  source: string;
  key: string | null;
}

export interface RecordResult {
  /** False when the row was already there (a retried or replayed activity): nothing was written. */
  inserted: boolean;
  /**
   * True when the row was there from an earlier execution of the same run's workflow task, and
   * this record (with the calls that execution re-ran) replaced it and its attempts.
   */
  replaced?: boolean;
  /** What the replaced row held: its attempts and costs (the metrics count only what was added). */
  replacedFrom?: { attempts: number; costUsd: number; wastedCostUsd: number; orchestrationCostUsd: number };
  /** The row's retry link after the write (explicit or automatic). */
  retryOf: string | null;
  retryLink: 'explicit' | 'auto' | null;
}

export interface RecordOptions {
  /** Automatic retry linking window (config `ledger.retryWindowMs`); 0 turns it off. */
  retryWindowMs: number;
  /** When the ledger writes the row (default Date.now()). */
  now?: number;
}

/** Costs and savings of one tenant's requests (shadow children apart). */
export interface TenantCosts {
  /** null: requests with no tenant in their metadata. */
  tenant: string | null;
  requests: number;
  escalated: number;
  /** Requests linked as user retries of an earlier one. */
  retries: number;
  costUsd: number;
  baselineCostUsd: number;
  wastedCostUsd: number;
  orchestrationCostUsd: number;
  /** baseline - cost - orchestration: what routing saved (negative: what it lost). */
  savedUsd: number;
  /** What this tenant's shadow children spent on model calls (not in costUsd). */
  shadowCostUsd: number;
}

export interface TimeRange {
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

export interface RequestFilter extends TimeRange {
  ids?: string[];
  tenant?: string;
  /** true: shadow children only; false: served requests only; undefined: both. */
  shadow?: boolean;
}

/** One request's model calls of one purpose and model, summed (the router's share of the bill is in them). */
export interface PurposeCost {
  requestId: string;
  /** `self_check` and `judge` calls are the router's; `answer` the model work; `shadow` a shadow child's. */
  purpose: CallPurpose;
  model: string;
  /** Attempts, failed ones included, and the successful ones among them. */
  attempts: number;
  okAttempts: number;
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
  /**
   * Of these attempts, the ones whose usage is an estimate (a call lost with its worker, cut off
   * in flight or cancelled: input tokens counted locally) and their cost, part of costUsd.
   */
  estimatedAttempts: number;
  estimatedCostUsd: number;
}

export interface LedgerTotals {
  requests: number;
  costUsd: number;
  baselineCostUsd: number;
  wastedCostUsd: number;
  orchestrationActions: number;
  orchestrationCostUsd: number;
  attempts: number;
}

export interface Ledger {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where it is, with any password removed (safe to log). */
  readonly location: string;
  /** Applies the migrations this build has and the database lacks; returns their versions. */
  migrate(): Promise<number[]>;
  /** The migration versions applied to the database, in order. */
  appliedMigrations(): Promise<number[]>;
  /**
   * Writes a request row and its attempt rows in one transaction, unless the row exists: a
   * second write of the same id writes nothing and returns `inserted: false`. Links the
   * request to the one it retries (explicit, else automatic) and relinks later automatic
   * retries of the same caller and prompt that were recorded before it.
   */
  record(outcome: OutcomeRecord, opts: RecordOptions): Promise<RecordResult>;
  getRequest(id: string): Promise<RequestRow | null>;
  listRequests(filter?: RequestFilter): Promise<RequestRow[]>;
  attempts(requestId: string): Promise<AttemptRow[]>;
  /** Adds a feedback event; throws UnknownRequestError when no request has that id. */
  addFeedback(requestId: string, feedback: FeedbackInput, now?: number): Promise<FeedbackRow>;
  feedback(requestId: string): Promise<FeedbackRow[]>;
  /** A tenant's spend (model cost + orchestration cost) of served requests started in the range. */
  tenantSpend(tenant: string, range?: TimeRange): Promise<number>;
  costsByTenant(range?: TimeRange): Promise<TenantCosts[]>;
  totals(filter?: RequestFilter): Promise<LedgerTotals>;
  /** Feedback events of the requests started in the range (shadow children's too), by request then id. */
  listFeedback(range?: TimeRange): Promise<FeedbackRow[]>;
  /** Model calls of the requests started in the range, summed per (request, purpose, model). */
  costsByPurpose(range?: TimeRange): Promise<PurposeCost[]>;
  /**
   * The requests, started whenever, that are user retries (explicit or automatic) of a request
   * started in the range: a window's retries mostly start after it, so a window alone misses them.
   */
  listRetriesOf(range?: TimeRange): Promise<RequestRow[]>;
  /** Stores a monitor evaluation (src/request/ledger/evaluations.ts); a second save of the same id writes nothing. */
  saveEvaluation(
    e: { id: string; at: number; report: EvaluationReport },
    now?: number,
  ): Promise<{ inserted: boolean }>;
  /** The latest stored evaluation matching the query, or null. */
  latestEvaluation(q?: EvaluationQuery): Promise<StoredEvaluation | null>;
  /** The call journal (src/request/ledger/call-journal.ts): an execution of a model call begins. */
  beginCall(key: CallKey, start: CallStart, now?: number): Promise<EarlierExecution[]>;
  /** The call journal: what that execution used. */
  endCall(key: CallKey, usage: CallUsage, now?: number): Promise<void>;
  /** The call journal: what an execution began under `key` used so far (null: none began). */
  peekCall(key: CallKey, now?: number): Promise<EarlierExecution | null>;
  close(): Promise<void>;
}

export class UnknownRequestError extends Error {
  constructor(readonly requestId: string) {
    super(`no request "${requestId}" in the ledger (a request is recorded when its workflow finishes)`);
    this.name = 'UnknownRequestError';
  }
}

export class LedgerUrlError extends Error {
  constructor(url: string, why: string) {
    super(`invalid ledger URL ${JSON.stringify(redactUrl(url))}: ${why}`);
    this.name = 'LedgerUrlError';
  }
}

/** A URL with its password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}
