/**
 * The routes of a task policy, each end to end on the real dev server and the recorded-model
 * server: static (one call, no routing work), direct-small (schema validation as the quality
 * signal), and a three-rung confidence cascade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
const [SMALL, MID, LARGE] = ['llama3.2-3b', 'llama3.1-70b', 'llama3.1-405b'];
const LABEL = { type: 'string', enum: ['A', 'B', 'C', 'D'] };

let stack: Stack;
let seq = 0;
const req = (row: DataRow, task: string) => ({
  ...row,
  id: `routes-${++seq}-${row.id}-${Date.now().toString(36)}`,
  task,
});
const p = (row: DataRow, model: string) => Math.exp(row.models[model]!.raw_confidence!);

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { inputPerMTok: 0.1, outputPerMTok: 0.1 },
      [MID]: { inputPerMTok: 0.9, outputPerMTok: 0.9 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      fixed: { route: 'static', rungs: [{ model: MID }] },
      labels: { route: 'direct-small', responseSchema: LABEL, rungs: [{ model: SMALL }, { model: LARGE }] },
      ladder: {
        route: 'cascade',
        rungs: [
          { model: SMALL, confidence: 'answer_logprob', threshold: 0.6 },
          { model: MID, confidence: 'answer_logprob', threshold: 0.7 },
          { model: LARGE },
        ],
      },
    },
  });
});
afterAll(async () => stack?.close());

describe('routes', () => {
  it('static: one model call, no classification, no checks, no escalation', async () => {
    const [row] = pickRows(MMLU, 1, () => true);
    const trace = await stack.cascade.run(req(row!, 'fixed'));
    expect(trace.route).toBe('static');
    expect(trace.decision).toBeNull();
    expect(trace.checks).toEqual([]);
    expect(trace.calls).toHaveLength(1);
    expect(trace.final).toMatchObject({ model: stack.modelId(MID), answer: row!.models[MID]!.answer });
    // start + one marker batch (the call and the ledger record, local activities of one
    // workflow task) + the final upsert: the least a durable, recorded request can cost.
    expect(trace.totals.orchestrationActions).toBe(3);
  });

  it('direct-small: a valid label from the small model stands on its schema check alone', async () => {
    const [row] = pickRows(MMLU, 1, (r) => ['A', 'B', 'C', 'D'].includes(r.models[SMALL]!.answer!));
    const trace = await stack.cascade.run(req(row!, 'labels'));
    expect(trace.checks).toEqual([expect.objectContaining({ kind: 'schema', passed: true, rung: 0 })]);
    expect(trace.checks.some((c) => c.kind === 'confidence')).toBe(false);
    expect(trace.final.model).toBe(stack.modelId(SMALL));
    expect(trace.escalations).toEqual([]);
  });

  it('direct-small: an answer outside the label set escalates with schema_invalid', async () => {
    // An output of llama3.2-3b that is not a letter ("I", as real small models write).
    const [row] = pickRows(MMLU, 1, (r) => !['A', 'B', 'C', 'D'].includes(r.models[SMALL]!.answer!));
    const trace = await stack.cascade.run(req(row!, 'labels'));
    expect(trace.checks[0]).toMatchObject({ kind: 'schema', passed: false, model: stack.modelId(SMALL) });
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'schema_invalid' },
    ]);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), answer: row!.models[LARGE]!.answer });
  });

  it('a three-rung ladder stops at the middle rung when it is confident', async () => {
    const [row] = pickRows(MMLU, 1, (r) => p(r, SMALL) < 0.5 && p(r, MID) > 0.85);
    const trace = await stack.cascade.run(req(row!, 'ladder'));
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(MID), reason: 'low_confidence' },
    ]);
    expect(trace.final).toMatchObject({
      model: stack.modelId(MID),
      rung: 1,
      answer: row!.models[MID]!.answer,
    });
    expect(trace.checks.map((c) => [c.model, c.passed])).toEqual([
      [stack.modelId(SMALL), false],
      [stack.modelId(MID), true],
    ]);
    expect(trace.totals.wastedCostUsd).toBeCloseTo(trace.calls[0]!.attempts[0]!.costUsd, 12);
  });

  it('a three-rung ladder climbs to the top when both lower rungs are unsure', async () => {
    const [row] = pickRows(MMLU, 1, (r) => p(r, SMALL) < 0.5 && p(r, MID) < 0.6);
    const trace = await stack.cascade.run(req(row!, 'ladder'));
    expect(trace.escalations.map((e) => [e.from, e.to, e.reason])).toEqual([
      [stack.modelId(SMALL), stack.modelId(MID), 'low_confidence'],
      [stack.modelId(MID), stack.modelId(LARGE), 'low_confidence'],
    ]);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), rung: 2 });
    expect(trace.calls.map((c) => c.model)).toEqual([SMALL, MID, LARGE].map(stack.modelId));
    expect(trace.totals.baselineEstimated).toBe(false);
    const wasted = trace.calls[0]!.attempts[0]!.costUsd + trace.calls[1]!.attempts[0]!.costUsd;
    expect(trace.totals.wastedCostUsd).toBeCloseTo(wasted, 12);
  });
});
