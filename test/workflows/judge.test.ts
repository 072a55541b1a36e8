/**
 * The `judge` confidence source end to end, on the real dev server and the recorded-model server
 * serving MT-Bench (data/routellm/mt_bench): Mixtral answers, GPT-4 judges that exact
 * answer (its recorded judgement, MT-Bench single-answer grading), the score / 10 is the rung's
 * confidence, and a score under 7 escalates to GPT-4-1106.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../src/request/router/trace';
import { answerOf, MT_BENCH, mtBenchJudgements, mtBenchQuestions, type Judgement } from '../helpers/mt-bench';
import { startStack, type Stack } from '../helpers/stack';

const SMALL = 'mistralai/Mixtral-8x7B-Instruct-v0.1';
const LARGE = 'gpt-4-1106-preview';
const JUDGE = 'gpt-4';
const THRESHOLD = 0.7;
const PRICES = {
  [SMALL]: { inputPerMTok: 0.6, outputPerMTok: 0.6 },
  [LARGE]: { inputPerMTok: 10, outputPerMTok: 30 },
  [JUDGE]: { inputPerMTok: 30, outputPerMTok: 60 },
};

const questions = new Map([...mtBenchQuestions].map(([id, turns]) => [id, turns[0]!]));
/** Turn-1 single-answer judgements (prompt single-v1 or single-math-v1). */
const turn1 = mtBenchJudgements.filter((j) => j.turn === 1 && !j.judge[1].endsWith('multi-turn'));
function pick(pred: (score: number) => boolean): { question: string; small: Judgement; large: Judgement } {
  const small = turn1.find((j) => j.model === SMALL && pred(j.score));
  if (!small) throw new Error('no MT-Bench question fits the test premise');
  const large = turn1.find((j) => j.model === LARGE && j.question_id === small.question_id)!;
  return { question: questions.get(small.question_id)!, small, large };
}

let stack: Stack;
let seq = 0;
const rid = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MT_BENCH],
    models: PRICES,
    tasks: {
      mtbench: {
        route: 'cascade',
        rungs: [{ model: SMALL, confidence: 'judge', judge: JUDGE, threshold: THRESHOLD }, { model: LARGE }],
      },
    },
  });
});
afterAll(async () => stack?.close());

const costOf = (trace: Trace, i: number) => trace.calls[i]!.attempts.reduce((s, a) => s + a.costUsd, 0);

describe('cascade with a judge confidence (MT-Bench, GPT-4 as the recorded judge)', () => {
  it("keeps the small model's answer when the judge scores it 7 or more, the judge call's cost counted", async () => {
    const { question, small } = pick((s) => s >= 9);
    const trace = await stack.cascade.run({ id: rid('judge-stands'), task: 'mtbench', prompt: question });

    expect(trace.status).toBe('answered');
    expect(trace.escalations).toEqual([]);
    expect(trace.final).toMatchObject({ model: stack.modelId(SMALL), rung: 0, answer: answerOf(small) });
    expect(trace.calls.map((c) => [c.purpose, c.model, c.rung])).toEqual([
      ['answer', stack.modelId(SMALL), 0],
      ['judge', stack.modelId(JUDGE), 0],
    ]);
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check).toMatchObject({ source: 'judge', passed: true, threshold: THRESHOLD });
    expect(check.raw).toBeCloseTo(small.score / 10, 12);
    expect(check.calibrated).toBeCloseTo(small.score / 10, 12);

    // The judge call is a model call of its own, priced at the judge's rates and in the total.
    const judge = trace.calls[1]!.attempts[0]!;
    expect(judge.ok).toBe(true);
    expect(judge.costUsd).toBeGreaterThan(0);
    expect(judge.costUsd).toBeCloseTo(
      (judge.tokensIn * PRICES[JUDGE].inputPerMTok + judge.tokensOut * PRICES[JUDGE].outputPerMTok) / 1e6,
      12,
    );
    expect(trace.totals.costUsd).toBeCloseTo(costOf(trace, 0) + costOf(trace, 1), 12);
    expect(trace.totals.wastedCostUsd).toBe(0);
    expect(trace.totals.attempts).toBe(2);
  });

  it('lets a score of exactly 7 clear a 0.7 threshold', async () => {
    const { question, small } = pick((s) => s === 7);
    const trace = await stack.cascade.run({ id: rid('judge-seven'), task: 'mtbench', prompt: question });
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check).toMatchObject({ source: 'judge', passed: true, raw: 0.7, calibrated: 0.7 });
    expect(trace.final).toMatchObject({ model: stack.modelId(SMALL), answer: answerOf(small) });
  });

  it('escalates with low_confidence when the judge scores it under 7', async () => {
    const { question, small, large } = pick((s) => s < 7);
    const trace = await stack.cascade.run({ id: rid('judge-escalates'), task: 'mtbench', prompt: question });

    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'low_confidence' },
    ]);
    expect(trace.calls.map((c) => [c.purpose, c.model, c.rung])).toEqual([
      ['answer', stack.modelId(SMALL), 0],
      ['judge', stack.modelId(JUDGE), 0],
      ['answer', stack.modelId(LARGE), 1],
    ]);
    const check = trace.checks.find((c) => c.kind === 'confidence')!;
    expect(check).toMatchObject({ source: 'judge', passed: false, rung: 0 });
    expect(check.raw).toBeCloseTo(small.score / 10, 12);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), rung: 1, answer: answerOf(large) });
    // The small answer and its judging are the double cost of the fallback.
    expect(costOf(trace, 1)).toBeGreaterThan(0);
    expect(trace.totals.wastedCostUsd).toBeCloseTo(costOf(trace, 0) + costOf(trace, 1), 12);
    expect(trace.totals.costUsd).toBeCloseTo(costOf(trace, 0) + costOf(trace, 1) + costOf(trace, 2), 12);
    expect(trace.totals.baselineCostUsd).toBeCloseTo(costOf(trace, 2), 12);
  });
});
