/**
 * A cascade whose small rung speaks Anthropic's Messages API and whose large rung speaks OpenAI's
 * Chat Completions, both served by the recorded-model server, through the real dev server and
 * workers: the schema check decides on the Anthropic answer, a 429 on the Anthropic endpoint is
 * retried after its Retry-After. (A self_check rung on an Anthropic model is refused by config
 * validation: test/unit/anthropic-config.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shippedData } from '../helpers/data';
import { pickRows, type DataRow } from '../helpers/rows';
import { scriptFaults, startStack, type Stack } from '../helpers/stack';

const MMLU = shippedData('synthetic/mmlu_llama.jsonl');
// The small model is called over /v1/messages, the large over /v1/chat/completions.
const SMALL = 'llama3.1-8b';
const LARGE = 'llama3.1-405b';
const LABEL = { type: 'string', enum: ['A', 'B', 'C', 'D'] };
const isLabel = (a: string | undefined) => ['A', 'B', 'C', 'D'].includes(a ?? '');

let stack: Stack;
let seq = 0;
const req = (row: DataRow, task: string) => ({
  ...row,
  id: `anthropic-${++seq}-${row.id}-${Date.now().toString(36)}`,
  task,
});

beforeAll(async () => {
  stack = await startStack({
    dataFiles: [MMLU],
    models: {
      [SMALL]: { provider: 'anthropic', inputPerMTok: 0.2, outputPerMTok: 0.2 },
      [LARGE]: { inputPerMTok: 3, outputPerMTok: 3 },
    },
    tasks: {
      labels: {
        route: 'direct-small',
        responseSchema: LABEL,
        rungs: [{ model: SMALL }, { model: LARGE }],
        limits: { maxAttemptsPerRung: 3, initialBackoffMs: 50, maxBackoffMs: 200 },
      },
      // A narrower label set, so some real answers of the small model fall outside it.
      firstTwo: {
        route: 'direct-small',
        responseSchema: { type: 'string', enum: ['A', 'B'] },
        rungs: [{ model: SMALL }, { model: LARGE }],
      },
    },
  });
});
afterAll(async () => stack?.close());

describe('a cascade with an Anthropic-protocol small rung', () => {
  it('the config names the Anthropic provider for the small model only', () => {
    expect(stack.config.config.models[stack.modelId(SMALL)]!.provider).toBe('anthropic');
    expect(stack.config.config.models[stack.modelId(LARGE)]!.provider).toBe('openai-compatible');
  });

  it('a valid label from the Anthropic rung stands, with its usage and cost on the record', async () => {
    const [row] = pickRows(MMLU, 1, (r) => isLabel(r.models[SMALL]!.answer) && !!r.models[SMALL]!.tokens);
    const trace = await stack.cascade.run(req(row!, 'labels'));
    const small = row!.models[SMALL]!;
    expect(trace.final).toMatchObject({ model: stack.modelId(SMALL), answer: small.answer });
    expect(trace.escalations).toEqual([]);
    expect(trace.checks).toEqual([expect.objectContaining({ kind: 'schema', passed: true, rung: 0 })]);
    const attempt = trace.calls[0]!.attempts[0]!;
    expect(attempt).toMatchObject({
      ok: true,
      status: 200,
      tokensIn: small.tokens!.in,
      tokensOut: small.tokens!.out,
    });
    expect(attempt.costUsd).toBeCloseTo(((small.tokens!.in + small.tokens!.out) * 0.2) / 1e6, 15);
    expect(trace.totals.costUsd).toBeCloseTo(attempt.costUsd, 15);
  });

  it('an answer outside the label set escalates with schema_invalid to the OpenAI-protocol rung', async () => {
    const [row] = pickRows(MMLU, 1, (r) => ['C', 'D'].includes(r.models[SMALL]!.answer ?? ''));
    const trace = await stack.cascade.run(req(row!, 'firstTwo'));
    expect(trace.checks[0]).toMatchObject({ kind: 'schema', passed: false, model: stack.modelId(SMALL) });
    expect(trace.escalations).toEqual([
      { from: stack.modelId(SMALL), to: stack.modelId(LARGE), reason: 'schema_invalid' },
    ]);
    expect(trace.final).toMatchObject({ model: stack.modelId(LARGE), answer: row!.models[LARGE]!.answer });
    expect(trace.calls.map((c) => c.model)).toEqual([stack.modelId(SMALL), stack.modelId(LARGE)]);
  });

  it('a 429 from the Anthropic endpoint is retried after its Retry-After, then served', async () => {
    const [row] = pickRows(MMLU, 2, (r) => isLabel(r.models[SMALL]!.answer)).slice(1);
    await scriptFaults(stack.recorded, SMALL, ['429', 'ok']);
    const trace = await stack.cascade.run(req(row!, 'labels'));
    const attempts = trace.calls[0]!.attempts;
    expect(attempts.map((a) => [a.ok, a.errorClass, a.status])).toEqual([
      [false, 'rate_limited', 429],
      [true, null, 200],
    ]);
    // The recorded server's Retry-After is 1 s, more than the policy's 50 ms backoff.
    expect(attempts[0]!.backoffMs).toBeGreaterThanOrEqual(1_000); // Retry-After, plus jitter
    expect(attempts[0]!.backoffMs).toBeLessThanOrEqual(1_500);
    expect(attempts[0]!.error).toContain('rate_limit_error');
    expect(trace.final.model).toBe(stack.modelId(SMALL));
  });
});
