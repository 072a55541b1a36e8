/**
 * The latency-budget route on REAL queues (issue 4, Must show): the small model's endpoint takes
 * one call at a time (the recorded-model server's concurrency 1 AND the model's worker slots 1),
 * each call lasting its recorded latency × 3, so a burst of requests really queues on the
 * `cascade-model-<small>` task queue. Every number the decision uses is live: the Temporal
 * task-queue stats, this worker's in-flight calls and recent latencies, and the recorded
 * server's /metrics. Nothing is stubbed; nothing asserts on wall-clock time.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEndpointSnapshot } from '../../src/temporal/activities/endpoint-snapshot';
import { RequestError } from '../../src/doors/client/request';
import type { ModelReading } from '../../src/request/router/dispatch';
import { modelTaskQueue } from '../../src/request/router/policy';
import type { DispatchCandidate, Trace } from '../../src/request/router/trace';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-70b';
const LATENCY_SCALE = 3;
/** Fits the large model (~0.6-0.8 s a call) and the small one when idle (~0.45 s), not the small one behind 3+ calls. */
const TIGHT_MS = 1_500;
/** The task's default: fits the small model behind any burst here. */
const LOOSE_MS = 60_000;
const BURST = 12;

let stack: Stack;
let snapshot: ReturnType<typeof createEndpointSnapshot>['endpointSnapshot'];
let seq = 0;
const rid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const asRequest = (row: DataRow, task: string, extra: Record<string, unknown> = {}) => ({
  ...row,
  id: rid(row.id),
  task,
  ...extra,
});

const latency = (row: DataRow, model: string) =>
  (row.models[model] as { latency_ms?: number } | undefined)?.latency_ms ?? Infinity;
// Rows whose recorded latencies keep the arithmetic above true: small 120-170 ms, large < 260 ms.
const ROWS = pickRows(
  MMLU,
  24,
  (r) => latency(r, SMALL) >= 120 && latency(r, SMALL) <= 170 && latency(r, LARGE) < 260,
);

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: {
        inputPerMTok: 0.2,
        outputPerMTok: 0.2,
        concurrency: 1,
        expectedLatencyMs: 450,
        recordedMetrics: true,
      },
      [LARGE]: {
        inputPerMTok: 0.9,
        outputPerMTok: 0.9,
        concurrency: 8,
        expectedLatencyMs: 800,
        recordedMetrics: true,
      },
    },
    tasks: {
      interactive: {
        route: 'latency-budget',
        rungs: [{ model: SMALL }, { model: LARGE }],
        latencyBudgetMs: LOOSE_MS,
      },
      budgetless: { route: 'latency-budget', rungs: [{ model: SMALL }, { model: LARGE }] },
      // How the burst is queued on the small model: the same task queue, no routing of its own.
      // (durable: a lean request would call from the workflow worker and never queue)
      burst: { route: 'static', execution: 'durable', rungs: [{ model: SMALL }] },
    },
    recorded: { latencyScale: LATENCY_SCALE, concurrency: { [SMALL]: 1, '*': 8 } },
  });
  // The same activity the workflow runs, on this process's worker registry: the test polls it
  // to know when the queue has formed or drained (bounded), then lets the workflow decide.
  snapshot = createEndpointSnapshot({
    connection: stack.client.connection,
    namespace: inject('temporalNamespace'),
    config: stack.config.config,
  }).endpointSnapshot;
});
afterAll(async () => stack?.close());

async function readSmall(): Promise<ModelReading> {
  const snap = await snapshot({
    models: [{ model: stack.modelId(SMALL), taskQueue: modelTaskQueue(stack.modelId(SMALL)) }],
  });
  return snap.models[0]!;
}

/** Polls the small model's live signals until `until` holds (at most ~10 s). */
async function pollSmall(until: (r: ModelReading) => boolean): Promise<ModelReading> {
  let r = await readSmall();
  for (let i = 0; i < 200 && !until(r); i++) {
    await new Promise((res) => setTimeout(res, 50));
    r = await readSmall();
  }
  return r;
}

const idle = (r: ModelReading) => r.temporalBacklog === 0 && r.workerInFlight === 0 && r.endpointQueue === 0;

function candidate(trace: Trace, name: string): DispatchCandidate {
  const c = trace.dispatch?.candidates.find((x) => x.model === stack.modelId(name));
  if (!c) throw new Error(`no dispatch candidate ${name} in ${JSON.stringify(trace.dispatch)}`);
  return c;
}

describe('latency-budget dispatch on real queues', () => {
  it('refuses a latency-budget request with no budget before any workflow starts', async () => {
    const row = ROWS[0]!;
    const request = asRequest(row, 'budgetless');
    const err = await stack.cascade.start(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).issues.map((i) => i.path)).toEqual(['latencyBudgetMs']);
    expect((err as RequestError).message).toMatch(/budgetless.*latency-budget/);
    const count = await stack.client.workflow.count(`WorkflowId = '${request.id}'`);
    expect(count.count).toBe(0);

    // The same task with a budget on the request runs, and the idle small model fits it.
    const trace = await stack.cascade.run(asRequest(row, 'budgetless', { latencyBudgetMs: TIGHT_MS }));
    expect(trace.status).toBe('answered');
    expect(trace.route).toBe('latency-budget');
    expect(trace.dispatch).toMatchObject({
      budgetMs: TIGHT_MS,
      chosen: stack.modelId(SMALL),
      cheapest: stack.modelId(SMALL),
      budgetExceeded: false,
    });
    expect(trace.final).toMatchObject({
      model: stack.modelId(SMALL),
      rung: 0,
      answer: row.models[SMALL]!.answer,
    });
    expect(trace.escalations).toEqual([]);
    // start + one marker batch (classify and the snapshot, one workflow task) + the call activity
    // + upsert + record: latency-budget requests run durable (they read the model queues)
    expect(trace.totals.orchestrationActions).toBe(5);
  });

  it('sends tight budgets to the large model while a burst queues on the small one, and back when it drains', async () => {
    expect(idle(await pollSmall(idle))).toBe(true);

    // A burst on the small model's queue, not awaited: 1 call at a time, the rest wait in Temporal.
    const burst = await Promise.all(
      ROWS.slice(0, BURST).map((r) => stack.cascade.start(asRequest(r, 'burst'))),
    );
    // Decide while the queue is deep: 3+ calls ahead already break the tight budget.
    const formed = await pollSmall((r) => (r.temporalBacklog ?? 0) >= 7);
    expect(formed.temporalBacklog).toBeGreaterThanOrEqual(7);

    const tightRow = ROWS[BURST]!;
    const looseRow = ROWS[BURST + 1]!;
    const [tight, loose] = await Promise.all([
      stack.cascade.start(asRequest(tightRow, 'interactive', { latencyBudgetMs: TIGHT_MS })),
      stack.cascade.start(asRequest(looseRow, 'interactive')), // the task's default budget
    ]);
    const tightTrace = await tight.handle.result();

    // Tight: the small model's queue breaks the budget; the large one fits and serves.
    expect(tightTrace.status).toBe('answered');
    expect(tightTrace.final).toMatchObject({
      model: stack.modelId(LARGE),
      rung: 1,
      answer: tightRow.models[LARGE]!.answer,
    });
    expect(tightTrace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'latency_budget' },
    ]);
    expect(tightTrace.dispatch).toMatchObject({
      budgetMs: TIGHT_MS,
      chosen: stack.modelId(LARGE),
      cheapest: stack.modelId(SMALL),
      budgetExceeded: false,
    });
    const busy = candidate(tightTrace, SMALL);
    // The live signals that made it: the Temporal backlog behind the call in flight in this
    // worker; the endpoint itself queues nothing (the worker's single slot holds the line). The
    // snapshot can fall between one call's end and the next one's start, so in-flight is 0 or 1.
    expect(busy.temporalBacklog).toBeGreaterThanOrEqual(3);
    expect(busy.workerInFlight).toBeLessThanOrEqual(1);
    expect(busy.endpointQueue).toBe(0);
    expect(busy.concurrency).toBe(1);
    expect(busy.waitBySignalMs!.temporalBacklog).toBeCloseTo(
      busy.temporalBacklog! * busy.expectedServiceMs,
      0,
    );
    expect(busy.expectedWaitMs).toBe(busy.waitBySignalMs!.temporalBacklog);
    expect(busy.expectedWaitMs + busy.expectedServiceMs).toBeGreaterThan(TIGHT_MS);
    expect(busy.fits).toBe(false);
    const free = candidate(tightTrace, LARGE);
    expect(free).toMatchObject({
      temporalBacklog: 0,
      workerInFlight: 0,
      endpointQueue: 0,
      expectedWaitMs: 0,
      fits: true,
    });
    expect(free.estimatedCostUsd).toBeGreaterThan(busy.estimatedCostUsd);
    expect(tightTrace.calls.map((c) => [c.rung, c.model, c.purpose])).toEqual([
      [1, stack.modelId(LARGE), 'answer'],
    ]);
    const desc = await tight.handle.describe();
    expect(desc.typedSearchAttributes.get(SA.escalationReason)).toBe('latency_budget');
    expect(desc.typedSearchAttributes.get(SA.finalModel)).toBe(stack.modelId(LARGE));
    expect(desc.typedSearchAttributes.get(SA.route)).toBe('latency-budget');

    // Loose: the same queue, and the small model still fits; it waits its turn and serves.
    const looseTrace = await loose.handle.result();
    expect(looseTrace.final).toMatchObject({
      model: stack.modelId(SMALL),
      answer: looseRow.models[SMALL]!.answer,
    });
    expect(looseTrace.escalations).toEqual([]);
    expect(looseTrace.dispatch).toMatchObject({
      budgetMs: LOOSE_MS,
      chosen: stack.modelId(SMALL),
      budgetExceeded: false,
    });
    const queued = candidate(looseTrace, SMALL);
    expect(queued.temporalBacklog).toBeGreaterThanOrEqual(1);
    expect(queued.expectedWaitMs).toBeGreaterThan(0);
    expect(queued.fits).toBe(true);

    // The burst drains; then a tight budget fits the small model again.
    const burstTraces = await Promise.all(burst.map((b) => b.handle.result()));
    expect(burstTraces.map((t) => t.final.model)).toEqual(burst.map(() => stack.modelId(SMALL)));
    const drained = await pollSmall(idle);
    expect(drained).toMatchObject({ temporalBacklog: 0, workerInFlight: 0, endpointQueue: 0 });
    expect(drained.observedSamples).toBeGreaterThan(0);

    const againRow = ROWS[BURST + 2]!;
    const again = await stack.cascade.run(asRequest(againRow, 'interactive', { latencyBudgetMs: TIGHT_MS }));
    expect(again.final).toMatchObject({
      model: stack.modelId(SMALL),
      answer: againRow.models[SMALL]!.answer,
    });
    expect(again.escalations).toEqual([]);
    expect(again.dispatch).toMatchObject({
      chosen: stack.modelId(SMALL),
      cheapest: stack.modelId(SMALL),
      budgetExceeded: false,
    });
    expect(candidate(again, SMALL)).toMatchObject({
      temporalBacklog: 0,
      workerInFlight: 0,
      endpointQueue: 0,
      expectedWaitMs: 0,
      fits: true,
      // The service time now comes from the burst's own calls, not the configured guess.
      serviceSource: 'observed',
    });
  });

  it("reads the endpoint's own queue: traffic that never went through Temporal counts too", async () => {
    await pollSmall(idle);
    // Other clients of the same endpoint, straight to its HTTP API: invisible to Temporal and to
    // this worker, visible only in the endpoint's /metrics.
    const direct = ROWS.slice(0, 8).map((row) =>
      fetch(`${stack.recorded.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: SMALL,
          messages: [
            ...(row.system ? [{ role: 'system', content: row.system }] : []),
            { role: 'user', content: row.prompt },
          ],
        }),
      }).then((res) => res.status),
    );
    const queued = await pollSmall((r) => (r.endpointQueue ?? 0) >= 6);
    expect(queued.endpointQueue).toBeGreaterThanOrEqual(6);
    expect(queued.temporalBacklog).toBe(0);

    const row = ROWS[BURST + 3]!;
    const trace = await stack.cascade.run(asRequest(row, 'interactive', { latencyBudgetMs: TIGHT_MS }));
    expect(trace.final.model).toBe(stack.modelId(LARGE));
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'latency_budget' },
    ]);
    const small = candidate(trace, SMALL);
    expect(small.endpointQueue).toBeGreaterThanOrEqual(3);
    expect(small.temporalBacklog).toBe(0);
    expect(small.expectedWaitMs).toBe(small.waitBySignalMs!.endpointQueue);
    expect(small.fits).toBe(false);
    expect(await Promise.all(direct)).toEqual(direct.map(() => 200));
  });
});
