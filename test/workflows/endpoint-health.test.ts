/**
 * Endpoint health through the workflow, on the run's real dev server and real recorded-model
 * servers: an open circuit skips the rung with `endpoint_unavailable`; a failover endpoint serves
 * the model before any escalation; `cancel` ends a request CANCELLED and aborts its in-flight
 * HTTP call (activity heartbeat -> cancellation signal -> the provider's AbortSignal), which the
 * recorded-model server sees as a client that went away.
 */
import { CancelledFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelRequest } from '../../src/cli/commands/cancel';
import { CliError, EXIT } from '../../src/cli/errors';
import { type RecordedServer, startRecordedServer } from '../../src/tools/recorded-models/server';
import type { Trace } from '../../src/request/router/trace';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
/** Its endpoint fails; its circuit opens after one failure. */
const FLAKY = 'llama3.2-3b';
/** Served by the stack's recorded server and, as its failover, by a second one. */
const REPLICATED = 'llama3.1-8b';
/** Hangs (an injected `timeout` fault) until the request is cancelled. */
const HANGING = 'llama3.2-1b';
const LARGE = 'llama3.1-405b';
const THRESHOLD = 0.7;
const LONG_COOLDOWN_MS = 10 * 60_000;

let seq = 0;
const rid = (label: string) =>
  `${label}-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const asRequest = (row: DataRow, task: string) => ({ ...row, id: rid(row.id), task });
const confident = (model: string) => (r: DataRow) =>
  Math.exp(r.models[model]?.raw_confidence ?? -Infinity) >= THRESHOLD + 0.05;

/** Polls `probe` until `done` holds or the bound runs out; returns the last value. */
async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  tries = 120,
  everyMs = 250,
): Promise<T> {
  let value = await probe();
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((r) => setTimeout(r, everyMs));
    value = await probe();
  }
  return value;
}

/** `recorded_requests_total{model, status}` of one recorded server. */
async function recordedCount(server: RecordedServer, model: string, status?: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^recorded_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || !m[1]!.includes(`model="${model}"`)) continue;
    if (status === undefined || m[1]!.includes(`status="${status}"`)) total += Number(m[2]);
  }
  return total;
}

async function recordedGauge(server: RecordedServer, metric: string, model: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`model="${model}"`));
  return line ? Number(line.split(/\s+/).at(-1)) : NaN;
}

/** Waits until the request's model call is running in an activity. */
async function activityStarted(handle: WorkflowHandle): Promise<boolean> {
  const desc = await pollUntil(
    () => handle.describe(),
    (d) =>
      (d.raw.pendingActivities ?? []).some(
        (a) => a.activityType?.name === 'callModel' && !!a.lastStartedTime,
      ),
  );
  return (desc.raw.pendingActivities ?? []).length > 0;
}

async function expectCancelled(stack: Stack, handle: WorkflowHandle): Promise<void> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  const desc = await handle.describe();
  expect(desc.status.name).toBe('CANCELLED');
  // What happened before the cancellation is still on the record (trace query on the closed run).
  const trace = await stack.cascade.trace(handle.workflowId);
  expect(trace.status).toBe('cancelled');
  expect(trace.final.model).toBeNull();
}

describe('endpoint health through the cascade workflow', () => {
  let stack: Stack;
  let replica: RecordedServer;

  beforeAll(async () => {
    // The failover endpoint: a second recorded-model server serving the same data.
    replica = await startRecordedServer({ dataFiles: [MMLU], latencyScale: 0 });
    stack = await startStack({
      dataFiles: [MMLU],
      // An injected timeout holds the connection this long: only the client leaving ends it sooner.
      recorded: { timeoutHangMs: 30 * 60_000 },
      models: {
        [FLAKY]: {
          inputPerMTok: 0.06,
          outputPerMTok: 0.06,
          circuit: { failureThreshold: 1, cooldownMs: LONG_COOLDOWN_MS },
        },
        [REPLICATED]: {
          inputPerMTok: 0.2,
          outputPerMTok: 0.2,
          failover: [{ baseUrl: replica.baseUrl }],
          circuit: { failureThreshold: 1, cooldownMs: LONG_COOLDOWN_MS },
        },
        [HANGING]: { inputPerMTok: 0.1, outputPerMTok: 0.1, timeoutMs: 5 * 60_000 },
        [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
      },
      tasks: {
        flaky: {
          route: 'cascade',
          rungs: [{ model: FLAKY, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
          limits: { maxAttemptsPerRung: 3, initialBackoffMs: 50, maxBackoffMs: 100 },
        },
        replicated: {
          route: 'cascade',
          rungs: [
            { model: REPLICATED, confidence: 'answer_logprob', threshold: THRESHOLD },
            { model: LARGE },
          ],
          limits: { maxAttemptsPerRung: 3, initialBackoffMs: 50, maxBackoffMs: 100 },
        },
        hanging: {
          route: 'cascade',
          rungs: [{ model: HANGING, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await replica?.close();
  });

  it('an open circuit skips the rung with endpoint_unavailable and the large model answers', async () => {
    const [first, later] = pickRows(MMLU, 2, () => true);

    // The first request opens the circuit (threshold 1): its 500 is recorded, and its retry finds
    // the circuit open, so it too is escalated without a second call.
    await scriptFaults(stack.recorded, FLAKY, ['500']);
    const t1 = await stack.cascade.run(asRequest(first!, 'flaky'));
    expect(t1.calls[0]!.attempts.map((a) => a.errorClass)).toEqual(['server_error', 'endpoint_unavailable']);
    expect(t1.escalations).toEqual([
      { from: stack.modelId(FLAKY), to: stack.modelId(LARGE), reason: 'endpoint_unavailable' },
    ]);

    // A later request skips the small rung at once: no HTTP call reaches its endpoint.
    const callsBefore = await recordedCount(stack.recorded, FLAKY);
    const trace: Trace = await stack.cascade.run(asRequest(later!, 'flaky'));
    expect(await recordedCount(stack.recorded, FLAKY)).toBe(callsBefore);
    expect(trace.calls[0]!.model).toBe(stack.modelId(FLAKY));
    expect(trace.calls[0]!.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        ok: false,
        errorClass: 'endpoint_unavailable',
        status: null,
        latencyMs: 0,
        costUsd: 0,
      }),
    ]);
    expect(trace.calls[0]!.attempts[0]!.error).toMatch(/circuit of its endpoint is open.*earliest probe/);
    expect(trace.escalations).toEqual([
      { from: stack.modelId(FLAKY), to: stack.modelId(LARGE), reason: 'endpoint_unavailable' },
    ]);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), answer: later!.models[LARGE]!.answer });
    expect(trace.totals.wastedCostUsd).toBe(0);

    const desc = await stack.client.workflow.getHandle(trace.requestId).describe();
    expect(desc.typedSearchAttributes.get(SA.escalationReason)).toBe('endpoint_unavailable');
    expect(desc.typedSearchAttributes.get(SA.escalated)).toBe(true);
    const q = `WorkflowId = '${trace.requestId}' AND CascadeEscalationReason = 'endpoint_unavailable'`;
    const count = await pollUntil(
      async () => (await stack.client.workflow.count(q)).count,
      (n) => n === 1,
    );
    expect(count).toBe(1);
  });

  it('fails over to the second endpoint before escalating: the answer stands, no escalation', async () => {
    const [row] = pickRows(MMLU, 1, confident(REPLICATED));
    await scriptFaults(stack.recorded, REPLICATED, ['500']);
    const replicaBefore = await recordedCount(replica, REPLICATED, '200');

    const trace = await stack.cascade.run(asRequest(row!, 'replicated'));
    expect(trace.calls).toHaveLength(1);
    expect(trace.calls[0]!.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        ok: false,
        errorClass: 'server_error',
        status: 500,
        endpoint: 0,
      }),
      expect.objectContaining({ attempt: 2, ok: true, endpoint: 1 }),
    ]);
    expect(trace.escalations).toEqual([]);
    expect(trace.final).toMatchObject({
      model: stack.modelId(REPLICATED),
      answer: row!.models[REPLICATED]!.answer,
    });
    expect(await recordedCount(replica, REPLICATED, '200')).toBe(replicaBefore + 1);

    // The primary's circuit stays open: the next request goes straight to the replica.
    const [next] = pickRows(MMLU, 2, confident(REPLICATED)).slice(1);
    const again = await stack.cascade.run(asRequest(next!, 'replicated'));
    expect(again.calls[0]!.attempts).toEqual([
      expect.objectContaining({ attempt: 1, ok: true, endpoint: 1 }),
    ]);
    expect(again.escalations).toEqual([]);
  });

  it('cancel ends a request whose model call hangs CANCELLED, and aborts the HTTP call', async () => {
    const [row] = pickRows(MMLU, 1, () => true);
    await scriptFaults(stack.recorded, HANGING, ['timeout']);
    const timeoutsBefore = await recordedCount(stack.recorded, HANGING, 'timeout');
    const { requestId, handle } = await stack.cascade.start(asRequest(row!, 'hanging'));

    expect(await activityStarted(handle)).toBe(true);
    // The scripted step is consumed once the request has reached the server (and hangs there).
    const scripts = await pollUntil(
      async () =>
        ((await (await fetch(`${stack.recorded.url}/admin/faults`)).json()) as { scripts: unknown[] })
          .scripts,
      (s) => s.length === 0,
    );
    expect(scripts).toEqual([]);

    // `cascade cancel ID`'s action, in-process, with the stack's client.
    const out: string[] = [];
    const outcome = await cancelRequest(requestId, {}, { cascade: stack.cascade, write: (t) => out.push(t) });
    expect(out).toEqual([`cancelled ${requestId}\n`]);
    expect(outcome).toMatchObject({ requestId, requested: true, status: 'RUNNING' });

    await expectCancelled(stack, handle);
    // The hang lasts 30 minutes; the server counts the request when the client leaves.
    const timeouts = await pollUntil(
      () => recordedCount(stack.recorded, HANGING, 'timeout'),
      (n) => n > timeoutsBefore,
    );
    expect(timeouts).toBe(timeoutsBefore + 1);
    // The call never finished, but the provider received it: on the record as cancelled, priced
    // by estimate (test/workflows/cancel-priced.test.ts checks the ledger's side).
    const after = await stack.cascade.trace(requestId);
    expect(after.calls[0]?.attempts).toMatchObject([{ ok: false, errorClass: 'cancelled', estimated: true }]);

    // Cancelling again answers the same; the JSON form is one document.
    const json: string[] = [];
    await cancelRequest(requestId, { json: true }, { cascade: stack.cascade, write: (t) => json.push(t) });
    expect(JSON.parse(json.join(''))).toMatchObject({ requestId, requested: false, status: 'CANCELLED' });
  });

  it('cascade cancel: an unknown id is a usage error; a finished request was not cancelled', async () => {
    const unknown = rid('no-such-request');
    const err = await cancelRequest(unknown, {}, { cascade: stack.cascade, write: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(EXIT.usage);
    expect((err as CliError).message).toContain(unknown);

    const [row] = pickRows(MMLU, 1, confident(LARGE));
    const done = await stack.cascade.run(asRequest(row!, 'flaky'));
    const finished = await cancelRequest(
      done.requestId,
      {},
      { cascade: stack.cascade, write: () => {} },
    ).catch((e: unknown) => e);
    expect(finished).toBeInstanceOf(CliError);
    expect((finished as CliError).exitCode).toBe(EXIT.failure);
    expect((finished as CliError).message).toMatch(/already finished \(COMPLETED\)/);
  });
});

describe('cancel while the model is still generating', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Recorded latencies (hundreds of ms) scaled to minutes: the call is slow, not faulty.
    stack = await startStack({
      dataFiles: [MMLU],
      recorded: { latencyScale: 10_000 },
      models: {
        [HANGING]: { inputPerMTok: 0.1, outputPerMTok: 0.1, timeoutMs: 10 * 60_000 },
        [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
      },
      tasks: {
        slow: {
          route: 'cascade',
          rungs: [{ model: HANGING, confidence: 'answer_logprob', threshold: THRESHOLD }, { model: LARGE }],
        },
      },
    });
  });
  afterAll(async () => stack?.close());

  it('the recorded server sees the request aborted (recorded_requests_total{status="aborted"})', async () => {
    const [row] = pickRows(MMLU, 1, () => true);
    const abortedBefore = await recordedCount(stack.recorded, HANGING, 'aborted');
    const { requestId, handle } = await stack.cascade.start(asRequest(row!, 'slow'));
    expect(await activityStarted(handle)).toBe(true);
    // The request holds the model's slot while the server "generates".
    const inFlight = await pollUntil(
      () => recordedGauge(stack.recorded, 'recorded_in_flight', HANGING),
      (n) => n === 1,
    );
    expect(inFlight).toBe(1);

    expect(await stack.cascade.cancel(requestId)).toMatchObject({ requested: true });
    await expectCancelled(stack, handle);

    const aborted = await pollUntil(
      () => recordedCount(stack.recorded, HANGING, 'aborted'),
      (n) => n > abortedBefore,
    );
    expect(aborted).toBe(abortedBefore + 1);
    expect(await recordedGauge(stack.recorded, 'recorded_in_flight', HANGING)).toBe(0);
  });
});
