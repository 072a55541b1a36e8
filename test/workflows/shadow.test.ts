/**
 * Shadow mode on the real dev server: the baseline serves, the routed policy runs beside it as
 * an abandoned child `<id>:shadow` on the shadow queue, and the child records agreement and what
 * routing would have cost and saved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unitHash } from '../../src/request/router/hash';
import type { ShadowChildRecord, Trace } from '../../src/request/router/trace';
import { SA } from '../../src/temporal/workflows/search-attributes';
import { shippedData } from '../helpers/data';
import { pickRows, readRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';

let stack: Stack;
const run = Date.now().toString(36);
const req = (row: DataRow, task: string, id: string) => ({ ...row, id, task });

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: Object.fromEntries(
      [
        ['shadowed', 1],
        ['sampled', 0.25],
      ].map(([task, rate]) => [
        task,
        {
          route: 'cascade',
          rungs: [{ model: SMALL, confidence: 'answer_logprob', threshold: 0.7 }, { model: LARGE }],
          rollout: 0,
          shadow: { enabled: true, sampleRate: rate },
        },
      ]),
    ),
  });
});
afterAll(async () => stack?.close());

async function childTrace(requestId: string): Promise<Trace> {
  return stack.client.workflow.getHandle(`${requestId}:shadow`).result();
}

describe('shadow mode', () => {
  it('serves exactly the baseline answers while shadow children record what routing would have done', async () => {
    const rows = pickRows(MMLU, 6, () => true);
    const ids = rows.map((r, i) => `shadow-${run}-${i}`);
    const served = await Promise.all(rows.map((r, i) => stack.cascade.run(req(r, 'shadowed', ids[i]!))));

    let saved = 0;
    let agreeing = 0;
    for (const [i, trace] of served.entries()) {
      const row = rows[i]!;
      expect(trace.route).toBe('static');
      expect(trace.policy.servedAs).toBe('baseline-shadow');
      expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), answer: row.models[LARGE]!.answer });
      expect(trace.shadow).toEqual({ role: 'parent', childWorkflowId: `${ids[i]}:shadow` });
      // start, the child start (two actions, as the server bills it), the call's marker, the
      // signal, the upsert, the record's marker (the signal ended the call's workflow task)
      expect(trace.totals.orchestrationActions).toBe(7);

      const child = await childTrace(ids[i]!);
      const record = child.shadow as ShadowChildRecord;
      expect(child.route).toBe('cascade');
      expect(record.role).toBe('child');
      expect(record.served).toEqual({
        model: trace.final.model,
        answer: trace.final.answer,
        costUsd: trace.totals.costUsd,
      });
      expect(record.agreement!.exact).toBe(child.final.answer === trace.final.answer);
      expect(record.wouldHaveEscalated).toBe(child.escalations.length > 0);
      const routedCost = child.calls.flatMap((c) => c.attempts).reduce((s, a) => s + a.costUsd, 0);
      expect(record.wouldHaveCostUsd).toBeCloseTo(routedCost, 12);
      expect(record.wouldHaveSavedUsd).toBeCloseTo(trace.totals.costUsd - routedCost, 12);
      expect(child.calls[0]!.purpose).toBe('shadow');
      saved += record.wouldHaveSavedUsd!;
      agreeing += record.agreement!.exact ? 1 : 0;

      const [parentDesc, childDesc] = await Promise.all([
        stack.client.workflow.getHandle(ids[i]!).describe(),
        stack.client.workflow.getHandle(`${ids[i]}:shadow`).describe(),
      ]);
      expect(parentDesc.typedSearchAttributes.get(SA.shadow)).toBe(false);
      expect(childDesc.typedSearchAttributes.get(SA.shadow)).toBe(true);
      expect(childDesc.typedSearchAttributes.get(SA.route)).toBe('cascade');
      expect(childDesc.taskQueue).toBe(stack.shadowTaskQueue);
    }
    // The recorded outcomes of these rows say what the shadow should have found.
    const expectedAgreeing = rows.filter((r) => {
      const routed =
        Math.exp(r.models[SMALL]!.raw_confidence!) >= 0.7 ? r.models[SMALL]!.answer : r.models[LARGE]!.answer;
      return routed === r.models[LARGE]!.answer;
    }).length;
    expect(agreeing).toBe(expectedAgreeing);
    expect(saved).not.toBe(0);
  });

  it('a sample rate of 0.25 shadows about a quarter of the requests, the same ones every time', async () => {
    const rows = readRows(MMLU).slice(0, 40);
    // Fixed ids (each test run has a fresh dev server): the sample is a stable hash of the id.
    const ids = rows.map((_, i) => `sampled-${i}`);
    const expected = ids.filter((id) => unitHash(`shadow:${id}`) < 0.25);
    expect(expected.length).toBeGreaterThanOrEqual(6);
    expect(expected.length).toBeLessThanOrEqual(14);

    const traces = await Promise.all(rows.map((r, i) => stack.cascade.run(req(r, 'sampled', ids[i]!))));
    const shadowed = traces.filter((t) => t.shadow?.role === 'parent').map((t) => t.requestId);
    expect(shadowed.sort()).toEqual([...expected].sort());
    expect(traces.filter((t) => t.policy.servedAs === 'baseline-rollout')).toHaveLength(40 - expected.length);
    for (const id of expected) expect((await childTrace(id)).shadow?.role).toBe('child');

    // And the Web UI filter finds them: CascadeShadow = true.
    const query = `CascadeShadow = true AND WorkflowId STARTS_WITH 'sampled-'`;
    let count = 0;
    for (let i = 0; i < 60 && count !== expected.length; i++) {
      count = (await stack.client.workflow.count(query)).count;
      if (count !== expected.length) await new Promise((r) => setTimeout(r, 250));
    }
    expect(count).toBe(expected.length);
  });
});
