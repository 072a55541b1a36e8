import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseHistory, replayHistories } from '../../src/doors/client/replay';
import { RequestError } from '../../src/doors/client/request';
import type { Trace } from '../../src/request/router/trace';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const TRIVIA = shippedData('synthetic/triviaqa_llama.jsonl');
const EventType = temporal.api.enums.v1.EventType;
type EventType = temporal.api.enums.v1.EventType;
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;

let stack: Stack;
let seq = 0;
const rid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const asRequest = (row: DataRow, task: string, id = rid(row.id)) => ({ ...row, id, task });

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU, TRIVIA],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2, timeoutMs: 1_500 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      mmlu: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
        limits: { maxAttemptsPerRung: 3, initialBackoffMs: 50, maxBackoffMs: 200 },
      },
      mmluDurable: {
        route: 'cascade',
        execution: 'durable',
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
      trivia: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'self_check', threshold: 0.8 }, { model: LARGE }],
      },
      mmluJson: {
        route: 'cascade',
        responseSchema: {
          type: 'object',
          required: ['letter'],
          properties: { letter: { enum: ['A', 'B', 'C', 'D'] } },
        },
        rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
      },
    },
  });
});
afterAll(async () => stack?.close());

const confident = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) >= THRESHOLD + 0.05;
const unsure = (r: DataRow) => Math.exp(r.models[SMALL]!.raw_confidence!) < THRESHOLD - 0.1;

async function waitForVisibility(query: string, expected: number): Promise<number> {
  let count = -1;
  for (let i = 0; i < 60; i++) {
    count = (await stack.client.workflow.count(query)).count;
    if (count === expected) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return count;
}

describe('cascadeWorkflow on a real dev server and the recorded-model server', () => {
  it('serves the small model when its calibrated confidence clears the threshold', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.status).toBe('answered');
    expect(trace.final).toMatchObject({
      model: stack.modelId(SMALL),
      rung: 0,
      answer: row!.models[SMALL]!.answer,
    });
    expect(trace.escalations).toEqual([]);
    expect(trace.calls).toHaveLength(1);
    expect(trace.calls[0]!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, ok: true, tokensIn: row!.models[SMALL]!.tokens!.in }),
    ]);
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check.raw).toBeCloseTo(row!.models[SMALL]!.raw_confidence!, 6);
    expect(check.calibrated).toBeCloseTo(Math.exp(row!.models[SMALL]!.raw_confidence!), 6);
    expect(trace.decision?.classifierVersion).toBe('rules-v1');
    expect(trace.policy.configVersion).toBe(stack.config.version);
    expect(trace.totals.wastedCostUsd).toBe(0);
    expect(trace.totals.baselineEstimated).toBe(true);
    expect(trace.totals.baselineCostUsd).toBeGreaterThan(trace.totals.costUsd);
    // Lean (the default): start + one marker batch (classify, call, check, record) + upsert.
    expect(trace.policy).toBeDefined();
    expect(trace.totals.orchestrationActions).toBe(3);
    expect(trace.totals.orchestrationCostUsd).toBeCloseTo(3 * 0.000025, 12);
  });

  it('runs a lean request in one workflow task: local activities, no activity task, one upsert', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.escalations).toHaveLength(1); // an escalation costs no further action
    expect(trace.totals.orchestrationActions).toBe(3);
    const history = await stack.client.workflow.getHandle(trace.requestId).fetchHistory();
    const count = (t: EventType) => (history.events ?? []).filter((e) => e.eventType === t).length;
    expect(count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).toBe(1); // one task did it all
    expect(count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toBe(0); // no activity round trip
    // The two calls (the decision and the first answer's check folded into the first call's
    // local activity) and the ledger write: one marker each.
    expect(count(EventType.EVENT_TYPE_MARKER_RECORDED)).toBe(3);
    expect(trace.decision?.classifierVersion).toBe('rules-v1');
    expect(trace.checks).toEqual([expect.objectContaining({ kind: 'confidence', passed: false })]);
    expect(count(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)).toBe(1);
  });

  it('runs a durable request as today: the model call an activity on its own queue', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const trace = await stack.cascade.run(asRequest(row!, 'mmluDurable'));
    expect(trace.final.model).toBe(stack.modelId(SMALL));
    // start + classify marker + call activity + check marker + upsert + record activity
    expect(trace.totals.orchestrationActions).toBe(6);
    const history = await stack.client.workflow.getHandle(trace.requestId).fetchHistory();
    const scheduled = (history.events ?? []).filter(
      (e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    );
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)).toEqual([
      `cascade-model-${stack.modelId(SMALL)}`,
      expect.any(String), // the ledger write, on the workflow's own queue
    ]);
  });

  it('escalates with low_confidence, and the small call is wasted cost', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'low_confidence' },
    ]);
    expect(trace.final).toMatchObject({
      model: stack.modelId(LARGE),
      rung: 1,
      answer: row!.models[LARGE]!.answer,
    });
    const smallCost = trace.calls[0]!.attempts[0]!.costUsd;
    expect(trace.totals.wastedCostUsd).toBeCloseTo(smallCost, 12);
    expect(trace.totals.baselineEstimated).toBe(false);
    expect(trace.totals.baselineCostUsd).toBeCloseTo(trace.calls[1]!.attempts[0]!.costUsd, 12);
    expect(trace.totals.costUsd).toBeCloseTo(trace.totals.baselineCostUsd + smallCost, 12);

    const desc = await stack.client.workflow.getHandle(trace.requestId).describe();
    expect(desc.typedSearchAttributes.get(SA.escalated)).toBe(true);
    expect(desc.typedSearchAttributes.get(SA.escalationReason)).toBe('low_confidence');
    expect(desc.typedSearchAttributes.get(SA.finalModel)).toBe(stack.modelId(LARGE));
    expect(desc.typedSearchAttributes.get(SA.attempts)).toBe(2);
    const q = `WorkflowId = '${trace.requestId}' AND CascadeEscalated = true AND CascadeEscalationReason = 'low_confidence'`;
    expect(await waitForVisibility(q, 1)).toBe(1);
  });

  it('runs a self-check as its own model call, with its cost counted', async () => {
    const [row] = pickRows(TRIVIA, 1, (r) => Math.exp(r.models[SMALL]!.raw_confidence!) > 0.9);
    const trace = await stack.cascade.run(asRequest(row!, 'trivia'));
    expect(trace.calls.map((c) => c.purpose)).toEqual(['answer', 'self_check']);
    expect(trace.final.model).toBe(stack.modelId(SMALL));
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check.source).toBe('self_check');
    expect(check.raw).toBeCloseTo(row!.models[SMALL]!.raw_confidence!, 6);
    const total = trace.calls.flatMap((c) => c.attempts).reduce((s, a) => s + a.costUsd, 0);
    expect(trace.calls[1]!.attempts[0]!.costUsd).toBeGreaterThan(0);
    expect(trace.totals.costUsd).toBeCloseTo(total, 12);
  });

  it('escalates a schema-invalid answer with schema_invalid', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const trace = await stack.cascade.run(asRequest(row!, 'mmluJson'));
    // The recorded answer is a bare letter, not the JSON object the schema asks for.
    expect(trace.checks[0]).toMatchObject({ kind: 'schema', passed: false, rung: 0 });
    expect(trace.escalations[0]).toMatchObject({ reason: 'schema_invalid' });
    expect(trace.final.model).toBe(stack.modelId(LARGE));
  });

  it('retries a 429 after its Retry-After on a durable timer, then succeeds on the same rung', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    await scriptFaults(stack.recorded, SMALL, ['429', 'ok']);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    const attempts = trace.calls[0]!.attempts;
    expect(attempts.map((a) => [a.ok, a.errorClass, a.status])).toEqual([
      [false, 'rate_limited', 429],
      [true, null, 200],
    ]);
    // The recorded server's Retry-After is 1 s, more than the policy's 50 ms backoff.
    // Retry-After (1 s) outweighs the policy's backoff; jitter stretches it by up to half.
    expect(attempts[0]!.backoffMs).toBeGreaterThanOrEqual(1_000);
    expect(attempts[0]!.backoffMs).toBeLessThanOrEqual(1_500);
    expect(trace.escalations).toEqual([]);
    expect(trace.final.model).toBe(stack.modelId(SMALL));

    const history = await stack.client.workflow.getHandle(trace.requestId).fetchHistory();
    const timers = history.events!.filter((e) => e.timerStartedEventAttributes);
    expect(timers).toHaveLength(1);
  });

  it('falls back to the next rung with rung_failed when every attempt gets a 500', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    await scriptFaults(stack.recorded, SMALL, ['500', '500', '500']);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.calls[0]!.attempts.map((a) => a.errorClass)).toEqual([
      'server_error',
      'server_error',
      'server_error',
    ]);
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'rung_failed' },
    ]);
    expect(trace.final.model).toBe(stack.modelId(LARGE));
    expect(trace.totals.attempts).toBe(4);
  });

  it('marks a request that got no answer CascadeStatus = failed, findable in the UI', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    await scriptFaults(stack.recorded, SMALL, ['500', '500', '500']);
    await scriptFaults(stack.recorded, LARGE, ['500', '500', '500']);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.status).toBe('failed');
    expect(trace.totals.attempts).toBe(6);
    const desc = await stack.client.workflow.getHandle(trace.requestId).describe();
    expect(desc.status.name).toBe('COMPLETED'); // the trace is the result, failed or not
    expect(desc.typedSearchAttributes.get(SA.status)).toBe('failed');
    const q = `WorkflowId = '${trace.requestId}' AND CascadeStatus = 'failed'`;
    expect(await waitForVisibility(q, 1)).toBe(1);
    // An answered one is `answered`, and a running one was `running` from its start.
    const [ok] = pickRows(MMLU, 1, confident);
    const answered = await stack.cascade.run(asRequest(ok!, 'mmlu'));
    const okDesc = await stack.client.workflow.getHandle(answered.requestId).describe();
    expect(okDesc.typedSearchAttributes.get(SA.status)).toBe('answered');
  });

  it('records a malformed body and a timeout as retryable attempts and recovers', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    await scriptFaults(stack.recorded, SMALL, ['malformed', 'timeout', 'ok']);
    const trace = await stack.cascade.run(asRequest(row!, 'mmlu'));
    expect(trace.calls[0]!.attempts.map((a) => a.errorClass)).toEqual([
      'malformed_response',
      'timeout',
      null,
    ]);
    expect(trace.final.model).toBe(stack.modelId(SMALL));
    expect(trace.status).toBe('answered');
  });

  it('answers the trace query while running and returns the same trace as the result', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    await scriptFaults(stack.recorded, SMALL, ['429', 'ok']);
    const { handle } = await stack.cascade.start(asRequest(row!, 'mmlu'));
    let live: Trace | undefined;
    for (let i = 0; i < 100; i++) {
      live = await handle.query<Trace>('trace');
      if (live.calls[0]?.attempts.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(live!.status).toBe('running');
    expect(live!.calls[0]!.attempts[0]).toMatchObject({ ok: false, errorClass: 'rate_limited' });
    const result = await handle.result();
    expect(result.status).toBe('answered');
    expect(await stack.cascade.trace(result.requestId)).toEqual(result);

    // The exported history is the JSON `cascade replay` and the SDK read, and it replays.
    const history = (await stack.cascade.exportHistory(result.requestId)) as { events: unknown[] };
    expect(history.events.length).toBeGreaterThan(5);
    const [outcome] = await replayHistories([{ name: result.requestId, history: parseHistory(history) }], {
      workflowBundlePath: inject('workflowBundlePath'),
    });
    expect(outcome).toMatchObject({ ok: true });
  });

  it('runs a repeated request id once and returns the first result', async () => {
    const [row] = pickRows(MMLU, 1, unsure);
    const request = asRequest(row!, 'mmlu');
    const [a, b] = await Promise.all([stack.cascade.start(request), stack.cascade.start(request)]);
    // Both callers got the same run: the second start joined the first (USE_EXISTING).
    expect((await b.handle.describe()).runId).toBe((await a.handle.describe()).runId);
    const first = await a.handle.result();
    const again = await stack.cascade.run(request);
    expect(again).toEqual(first);
    const count = await waitForVisibility(`WorkflowId = '${request.id}'`, 1);
    expect(count).toBe(1);
  });

  it('refuses bad requests before any workflow starts', async () => {
    const [row] = pickRows(MMLU, 1, confident);
    const id = rid('bad');
    const bad: [unknown, string][] = [
      [{ id, task: 'mmlu' }, 'messages'],
      [{ id, task: 'mmlu', messages: [] }, 'messages'],
      [{ id, task: 'no-such-task', prompt: 'hi' }, 'task'],
      [{ id, task: 'mmlu', prompt: 'hi', responseSchema: { type: 'banana' } }, 'responseSchema'],
      [{ id, task: 'mmlu', prompt: 'hi', latencyBudgetMs: -5 }, 'latencyBudgetMs'],
      [{ id: 'has space', task: 'mmlu', prompt: row!.prompt }, 'id'],
    ];
    for (const [request, field] of bad) {
      const err = await stack.cascade.start(request).catch((e: unknown) => e);
      expect(err, JSON.stringify(request)).toBeInstanceOf(RequestError);
      expect((err as RequestError).issues.map((i) => i.path)).toContain(field);
    }
    const count = await stack.client.workflow.count(`WorkflowId = '${id}'`);
    expect(count.count).toBe(0);
  });
});
