import { describe, expect, it } from 'vitest';
import {
  hashedLexicalFeatures,
  promptFeatures,
  ruleComplexity,
  STRUCTURAL_FEATURE_NAMES,
  structuralFeatures,
} from '../../src/request/router/features';

describe('structural features', () => {
  it('counts instructions, nested conditions, enumerations, code, tools, formats and questions', () => {
    const f = structuralFeatures([
      { role: 'system', content: 'You are terse. Respond in JSON.' },
      {
        role: 'user',
        content: [
          'List the steps. Explain each one.',
          'If the input is empty, return null unless the flag is set.',
          'Choices:',
          'A: one',
          'B: two',
          '```python\nprint(1)\n```',
          '{"name": "lookup", "parameters": {"type": "object"}}',
          'How many are there? Is it 2 + 2 = 4?',
        ].join('\n'),
      },
    ]);
    expect(f.hasSystem).toBe(1);
    expect(f.messages).toBe(2);
    expect(f.instructions).toBe(1); // rules-v1 counts instructions opening a line: "List"
    expect(f.distinctInstructions).toBe(3); // respond, list, explain: opening any sentence
    expect(f.conditions).toBe(2);
    expect(f.nestedConditions).toBe(1); // "If ..., ... unless ..." in one sentence
    expect(f.enumerations).toBe(2);
    expect(f.codeBlocks).toBe(1);
    expect(f.toolDefinitions).toBe(1);
    expect(f.asksForJson).toBe(1);
    expect(f.formatList).toBe(1);
    expect(f.formatChoice).toBe(1);
    expect(f.formatNumber).toBe(1);
    expect(f.questions).toBe(2);
    expect(f.mathSymbols).toBeGreaterThanOrEqual(2);
    expect(f.scriptCjk + f.scriptCyrillic + f.scriptArabic + f.scriptOther).toBe(0);
  });

  it('counts fraction words and written fractions, and percentages and ratios, apart', () => {
    const f = structuralFeatures([
      {
        role: 'user',
        content:
          'Half of the 3/4 cup went to two thirds of the class; a quarter of the rest, 12.5%, ' +
          'was the ratio of boys. The third day, 10 percent more. 2024/25 is a season.',
      },
    ]);
    // half, 3/4, thirds, quarter, third, 4/2 (in "2024/25": a digit, a slash, a digit)
    expect(f.fractions).toBe(6);
    // %, ratio, percent
    expect(f.percentages).toBe(3);
    const loud = structuralFeatures([{ role: 'user', content: 'HALF of 1/2/3 is a Third; RATIO.' }]);
    expect(loud.fractions).toBe(4); // either case; "1/2/3" holds two slashes between digits
    expect(loud.percentages).toBe(1);
    const none = structuralFeatures([{ role: 'user', content: 'Halfway there, 34 / 5 people.' }]);
    expect(none.fractions).toBe(0); // "halfway" is not "half"; a spaced slash is not a fraction
    expect(none.percentages).toBe(0);
  });

  it('detects the dominant script of non-Latin prompts', () => {
    expect(
      structuralFeatures([{ role: 'user', content: 'Сколько будет два плюс два?' }]).scriptCyrillic,
    ).toBe(1);
    const cjk = structuralFeatures([{ role: 'user', content: '二加二等于几？请回答。' }]);
    expect(cjk.scriptCjk).toBe(1);
    expect(cjk.nonAsciiLetters).toBe(1);
  });

  it('keeps the rules-v1 score of the original features', () => {
    const f = structuralFeatures([{ role: 'user', content: 'Explain why. If so, list them.\n```\nx\n```' }]);
    expect(ruleComplexity(f)).toBeGreaterThan(0);
    expect(ruleComplexity(f)).toBeLessThanOrEqual(1);
    // Every named feature is a number (the trace and the classifier rely on the fixed list).
    for (const name of STRUCTURAL_FEATURE_NAMES) expect(typeof f[name]).toBe('number');
  });
});

describe('hashed lexical features', () => {
  const opts = { bits: 8, ngrams: [1, 2] };

  it('are deterministic: the same text lands in the same buckets, everywhere', () => {
    const a = hashedLexicalFeatures('The quick brown fox jumps over the lazy dog', opts);
    const b = hashedLexicalFeatures('The quick brown fox jumps over the lazy dog', opts);
    expect(a).toEqual(b);
    // Pinned: a change of tokenizer or hash would silently invalidate every trained classifier.
    const pinned = hashedLexicalFeatures('hello world', opts);
    expect(pinned.indices).toEqual(PINNED_HELLO_WORLD.indices);
    pinned.values.forEach((v, i) => expect(v).toBeCloseTo(PINNED_HELLO_WORLD.values[i]!, 12));
  });

  it('are case-insensitive, unit length, sorted, within 2^bits, with bigrams', () => {
    const v = hashedLexicalFeatures('Alpha beta GAMMA alpha', opts);
    expect(v).toEqual(hashedLexicalFeatures('alpha Beta gamma ALPHA', opts));
    expect(Math.hypot(...v.values)).toBeCloseTo(1, 12);
    expect([...v.indices].sort((x, y) => x - y)).toEqual(v.indices);
    expect(v.indices.every((i) => i >= 0 && i < 256)).toBe(true);
    const uni = hashedLexicalFeatures('alpha beta', { bits: 16, ngrams: [1] });
    const bi = hashedLexicalFeatures('alpha beta', { bits: 16, ngrams: [1, 2] });
    expect(bi.indices.length).toBe(uni.indices.length + 1);
    expect(hashedLexicalFeatures('', opts)).toEqual({ indices: [], values: [] });
  });

  it('promptFeatures bundles both, from every message', () => {
    const f = promptFeatures(
      [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'question?' },
      ],
      opts,
    );
    expect(f.structural.questions).toBe(1);
    expect(f.lexical.indices.length).toBeGreaterThan(0);
  });
});

/** hashedLexicalFeatures('hello world', { bits: 8, ngrams: [1, 2] }): two unigrams and one bigram. */
const PINNED_HELLO_WORLD = {
  indices: [32, 57, 110],
  values: [0.5773502691896257, 0.5773502691896257, -0.5773502691896257],
};
