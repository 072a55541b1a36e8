/**
 * Synthetic finished traces and their record metadata, for ledger and metrics tests that need
 * rows without running workflows. Shaped like real traces (src/request/router/trace.ts).
 */
import type { RecordMeta } from '../../src/request/ledger/outcome';
import { outcomeFromTrace } from '../../src/request/ledger/outcome';
import type { OutcomeRecord } from '../../src/request/ledger/types';
import type { Trace } from '../../src/request/router/trace';

export interface FakeOptions {
  id: string;
  startedAt?: number;
  tenant?: string;
  caller?: string;
  prompt?: string;
  retryOf?: string;
  escalate?: boolean;
  /** Cost of the small and large calls. */
  smallCost?: number;
  largeCost?: number;
  shadowOf?: string;
  task?: string;
}

export function fakeTrace(o: FakeOptions): Trace {
  const small = o.smallCost ?? 0.001;
  const large = o.largeCost ?? 0.02;
  const escalate = o.escalate ?? false;
  const calls: Trace['calls'] = [
    {
      rung: 0,
      model: 'small',
      purpose: o.shadowOf ? 'shadow' : 'answer',
      attempts: [
        {
          attempt: 1,
          ok: false,
          errorClass: 'rate_limited',
          status: 429,
          latencyMs: 12,
          tokensIn: 0,
          tokensOut: 0,
          costUsd: 0,
          backoffMs: 500,
          error: 'secret-free provider message',
        },
        {
          attempt: 2,
          ok: true,
          errorClass: null,
          status: 200,
          latencyMs: 340,
          tokensIn: 100,
          tokensOut: 20,
          costUsd: small,
        },
      ],
    },
  ];
  if (escalate) {
    calls.push({
      rung: 1,
      model: 'large',
      purpose: o.shadowOf ? 'shadow' : 'answer',
      attempts: [
        {
          attempt: 1,
          ok: true,
          errorClass: null,
          status: 200,
          latencyMs: 900,
          tokensIn: 100,
          tokensOut: 30,
          costUsd: large,
          endpoint: 1,
        },
      ],
    });
  }
  return {
    traceVersion: 1,
    requestId: o.id,
    route: 'cascade',
    taskType: o.task ?? 'mmlu',
    status: 'answered',
    policy: { configVersion: 'cfg-1', calibrationVersion: 'cal-1', servedAs: 'routed' },
    decision: {
      classifierVersion: 'rules-v1',
      taskType: o.task ?? 'mmlu',
      complexity: 0.4,
      features: { approxTokens: 25, instructions: 2 },
      decisionMs: 0.25,
    },
    calls,
    checks: [
      {
        rung: 0,
        model: 'small',
        kind: 'confidence',
        passed: !escalate,
        source: 'answer_logprob',
        raw: -0.2,
        calibrated: escalate ? 0.55 : 0.82,
        threshold: 0.7,
      },
    ],
    escalations: escalate ? [{ from: 'small', to: 'large', reason: 'low_confidence' }] : [],
    final: { model: escalate ? 'large' : 'small', rung: escalate ? 1 : 0, answer: 'THE ANSWER TEXT' },
    totals: {
      costUsd: small + (escalate ? large : 0),
      baselineCostUsd: large,
      baselineEstimated: !escalate,
      wastedCostUsd: escalate ? small : 0,
      attempts: escalate ? 3 : 2,
      orchestrationActions: 7,
      orchestrationCostUsd: 7 * 0.000025,
    },
    ...(o.shadowOf
      ? {
          shadow: {
            role: 'child' as const,
            parentWorkflowId: o.shadowOf,
            served: { model: 'large', answer: 'SERVED TEXT', costUsd: large },
            agreement: { exact: false, normalized: true, schemaEqual: null },
            wouldHaveCostUsd: small,
            wouldHaveSavedUsd: large - small,
            wouldHaveEscalated: escalate,
          },
        }
      : {}),
  };
}

export function fakeMeta(o: FakeOptions): RecordMeta {
  const startedAt = o.startedAt ?? Date.UTC(2026, 0, 15, 12);
  return {
    workflowId: o.shadowOf ? `${o.shadowOf}:shadow` : o.id,
    runId: `run-${o.id}`,
    startedAt,
    finishedAt: startedAt + 1500,
    task: o.task ?? 'mmlu',
    rungModels: ['small', 'large'],
    retryOf: o.retryOf ?? null,
    metadata: {
      ...(o.tenant !== undefined ? { tenant: o.tenant } : {}),
      ...(o.caller !== undefined ? { caller: o.caller } : {}),
    },
    promptHash: null,
    messages: [{ role: 'user', content: o.prompt ?? `the prompt of ${o.id}` }],
    shadowOf: o.shadowOf ?? null,
  };
}

export function fakeOutcome(o: FakeOptions): OutcomeRecord {
  return outcomeFromTrace(fakeTrace(o), fakeMeta(o));
}
