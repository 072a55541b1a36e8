import { describe, it, expect } from 'vitest';
import { buildSelfCheckPrompt, parseSelfCheckPrompt } from '../../src/request/router/self-check';
import { MIN_LOGPROB, selfCheckVerdict } from '../../src/tools/recorded-models/logprobs';

describe('self-check prompt', () => {
  it('has the documented form', () => {
    expect(buildSelfCheckPrompt('Question: 2+2?\n\nAnswer: ', '4')).toBe(
      'Question: 2+2?\n\nAnswer: \n\nProposed answer: 4\n\nIs the proposed answer correct? Answer "Yes" or "No".',
    );
  });

  it('round-trips prompts and answers with newlines, quotes and trailing spaces', () => {
    const cases: [string, string][] = [
      ['Correctly answer the question below.\n\nQuestion: Who?\n\nAnswer: ', 'Nicholas Nickleby'],
      ['Problem: 3 * 4?\n\nStep-By-Step Reasoning: ', '1. Multiply.\n\n2. Done.\n#### 12'],
      ['', ''],
      ['Say "Yes" or "No".', ' spaced answer '],
    ];
    for (const [prompt, answer] of cases) {
      expect(parseSelfCheckPrompt(buildSelfCheckPrompt(prompt, answer))).toEqual({ prompt, answer });
    }
  });

  it('parses a self-check of a self-check (the marker then appears in the prompt)', () => {
    const inner = buildSelfCheckPrompt('Q?', 'A');
    expect(parseSelfCheckPrompt(buildSelfCheckPrompt(inner, 'Yes'))).toEqual({
      prompt: inner,
      answer: 'Yes',
    });
  });

  it('returns null for text not in the documented form', () => {
    expect(parseSelfCheckPrompt('What is the capital of France?')).toBeNull();
    expect(
      parseSelfCheckPrompt('Proposed answer: 4\n\nIs the proposed answer correct? Answer "Yes" or "No".'),
    ).toBeNull();
    expect(parseSelfCheckPrompt('Q\n\nProposed answer: 4\n\nIs the proposed answer correct?')).toBeNull();
    expect(
      parseSelfCheckPrompt(
        'Q\n\nProposed answer: 4\n\nIs the proposed answer correct? Answer "Yes" or "No". ',
      ),
    ).toBeNull();
  });
});

describe('self-check verdict from a recorded log P(yes)', () => {
  it('answers Yes when P(yes) >= 0.5, with the recorded value as the Yes logprob', () => {
    const v = selfCheckVerdict(-0.00010384);
    expect(v.content).toBe('Yes');
    const [entry] = v.logprobs.content;
    expect(entry?.token).toBe('Yes');
    expect(entry?.logprob).toBe(-0.00010384);
    expect(entry?.top_logprobs.map((t) => t.token)).toEqual(['Yes', 'No']);
    expect(entry?.top_logprobs[1]?.logprob).toBeCloseTo(Math.log1p(-Math.exp(-0.00010384)), 12);
    expect(v.derived).toEqual(['logprobs.no']);
  });

  it('answers No when P(yes) < 0.5; Yes keeps the recorded value, No is derived', () => {
    const v = selfCheckVerdict(-2.07939095151402);
    expect(v.content).toBe('No');
    const [entry] = v.logprobs.content;
    expect(entry?.token).toBe('No');
    const yes = entry?.top_logprobs.find((t) => t.token === 'Yes');
    expect(yes?.logprob).toBe(-2.07939095151402);
    expect(entry?.logprob).toBeCloseTo(Math.log1p(-Math.exp(-2.07939095151402)), 12);
  });

  it('treats exactly P(yes) = 0.5 as Yes', () => {
    expect(selfCheckVerdict(Math.log(0.5)).content).toBe('Yes');
  });

  it('clamps a recorded -Infinity to a representable logprob with the same probability, and flags it', () => {
    const v = selfCheckVerdict(-Infinity);
    expect(v.content).toBe('No');
    const yes = v.logprobs.content[0]?.top_logprobs.find((t) => t.token === 'Yes');
    expect(yes?.logprob).toBe(MIN_LOGPROB);
    expect(Math.exp(MIN_LOGPROB)).toBe(0);
    expect(v.logprobs.content[0]?.logprob).toBe(0);
    expect(v.derived).toEqual(['logprobs.no', 'logprobs.clamped']);
    expect(JSON.parse(JSON.stringify(v.logprobs)).content[0].top_logprobs[1].logprob).toBe(MIN_LOGPROB);
  });
});
