/**
 * From a finished trace to its ledger rows (pure). The workflow hands the record-outcome
 * activity its trace and a few facts the trace does not hold (`RecordMeta`: workflow times,
 * the request's labels, its prompt hash); this module turns them into the request row and one
 * attempt row per model-call attempt. Nothing here copies prompt or answer text, provider
 * messages or keys.
 */
import type { ChatMessage } from '../providers/types';
import type { Trace } from '../router/trace';
import type { OutcomeRecord } from './types';
import { promptHash } from './prompt-hash';

/** What the workflow passes beside its trace (workflows import this type only). */
export interface RecordMeta {
  workflowId: string;
  runId: string;
  /** Workflow time, epoch ms: the run's start and the moment it recorded. */
  startedAt: number;
  finishedAt: number;
  task: string;
  rungModels: string[];
  retryOf: string | null;
  metadata: Record<string, string | number | boolean> | null;
  /** sha256 of the messages, computed by the client at start (prepare.ts). */
  promptHash: string | null;
  /** Only for inputs from clients that sent no hash: hashed by the activity, never stored. */
  messages?: ChatMessage[];
  /** The served request a shadow child ran beside. */
  shadowOf: string | null;
}

function label(v: string | number | boolean | undefined): string | null {
  return v === undefined || v === '' ? null : String(v);
}

export function outcomeFromTrace(trace: Trace, meta: RecordMeta): OutcomeRecord {
  const tenant = label(meta.metadata?.tenant);
  const caller = label(meta.metadata?.caller) ?? tenant;
  const confidence = [...trace.checks].reverse().find((c) => c.kind === 'confidence');
  const schema = [...trace.checks].reverse().find((c) => c.kind === 'schema');
  const shadow = trace.shadow?.role === 'child' ? trace.shadow : null;
  const agreement = shadow?.agreement ?? null;
  const lastReason = trace.escalations[trace.escalations.length - 1]?.reason ?? null;
  const hash = meta.promptHash ?? (meta.messages ? promptHash(meta.messages) : null);

  return {
    id: meta.workflowId,
    runId: meta.runId,
    startedAt: meta.startedAt,
    finishedAt: meta.finishedAt,
    latencyMs: Math.max(0, meta.finishedAt - meta.startedAt),
    tenant,
    caller,
    task: meta.task,
    taskType: trace.taskType,
    route: trace.route,
    servedAs: trace.policy.servedAs ?? 'routed',
    status: trace.status,
    rungModels: meta.rungModels,
    finalModel: trace.final.model,
    finalRung: trace.final.rung,
    escalated: trace.escalations.length > 0,
    escalations: trace.escalations,
    lastReason,
    attempts: trace.totals.attempts,
    costUsd: trace.totals.costUsd,
    baselineCostUsd: trace.totals.baselineCostUsd,
    baselineEstimated: trace.totals.baselineEstimated,
    wastedCostUsd: trace.totals.wastedCostUsd,
    orchestrationActions: trace.totals.orchestrationActions,
    orchestrationCostUsd: trace.totals.orchestrationCostUsd,
    confidenceModel: confidence?.model ?? null,
    confidenceSource: confidence?.source ?? null,
    rawConfidence: finite(confidence?.raw),
    calibratedConfidence: finite(confidence?.calibrated),
    schemaValid: schema ? schema.passed : null,
    configVersion: trace.policy.configVersion,
    classifierVersion: trace.decision?.classifierVersion ?? null,
    calibrationVersion: trace.policy.calibrationVersion,
    decisionMs: trace.decision?.decisionMs ?? null,
    features: trace.decision ? { ...trace.decision.features, complexity: trace.decision.complexity } : null,
    shadow: meta.shadowOf !== null,
    shadowOf: meta.shadowOf,
    shadowAgreement: agreement,
    shadowAgreed: agreement ? (agreement.schemaEqual ?? agreement.normalized) : null,
    wouldHaveSavedUsd: shadow ? finite(shadow.wouldHaveSavedUsd) : null,
    wouldHaveEscalated: shadow ? shadow.wouldHaveEscalated : null,
    // A shadow child is not a user's request: it is never a retry of anything.
    retryOf: meta.shadowOf === null ? meta.retryOf : null,
    promptHash: hash,
    traceVersion: trace.traceVersion,
    attemptRows: trace.calls.flatMap((call, callIndex) =>
      call.attempts.map((a) => ({
        callIndex,
        rung: call.rung,
        model: call.model,
        purpose: call.purpose,
        attempt: a.attempt,
        ok: a.ok,
        errorClass: a.errorClass,
        status: a.status,
        latencyMs: a.latencyMs,
        tokensIn: a.tokensIn,
        tokensOut: a.tokensOut,
        costUsd: a.costUsd,
        endpoint: a.endpoint ?? null,
        backoffMs: a.backoffMs ?? null,
        estimated: a.estimated === true,
      })),
    ),
  };
}

function finite(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
