/**
 * `cascade advise` on labelled rows of the synthetic sets (data/synthetic): a calibrated cascade
 * where the guarantee confirms one that saves money, static where it confirms nothing, static below
 * break-even; with the figures behind each (the cases: ./advise-cases.ts; on the recorded cascades
 * sets: test/shared/advise-recorded.test.ts). A cheaper model alone on a labelled set made for it.
 * Then the advisor's helpers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { advise, auc, fixedRulePolicy } from '../../src/tools/advise/analyse';
import { evidenceFromLabelled } from '../../src/tools/advise/evidence';
import { parseTokens } from '../../src/cli/commands/advise';
import type { LabelledRow } from '../../src/tools/calibrate/fit';
import { seededRandom } from '../../src/request/router/random';
import { shippedData } from '../helpers/data';
import { adviseOnLabelledSets } from './advise-cases';

describe('advise on labelled rows (synthetic sets)', () => {
  adviseOnLabelledSets((set) => shippedData(`synthetic/${set}.jsonl`), {
    cascade: [
      ['mmlu_qwen', 'gpt-4o-mini', 'gpt-4o'],
      ['medmcqa_llama', 'llama3.1-8b', 'llama3.1-405b'],
    ],
    nothing: ['truthfulqa_llama', 'llama3.1-8b', 'llama3.1-405b'],
  });

  it('recommends a cheaper model alone when the guarantee confirms it (a mid model as good as the large one)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'advise-alone-'));
    try {
      const rnd = seededRandom(4);
      const lines = Array.from({ length: 400 }, (_, i) => {
        const large = rnd() < 0.8;
        const outcome = (correct: boolean, cost: number) => ({
          correct,
          raw_confidence: Math.log(0.05 + 0.9 * rnd()),
          confidence_kind: 'answer_logprob',
          cost_usd: cost,
          tokens: { in: 40, out: 1 },
        });
        return JSON.stringify({
          id: `q${i}`,
          task: 'quiz',
          prompt: `Question ${i}?`,
          models: {
            small: outcome(rnd() < 0.5, 1e-5),
            mid: outcome(large ? rnd() < 0.995 : rnd() < 0.5, 5e-5),
            large: outcome(large, 2e-4),
          },
        });
      });
      const file = path.join(dir, 'quiz.jsonl');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const prices = {
        small: { inputPerMTok: 0.25, outputPerMTok: 0.25 },
        mid: { inputPerMTok: 1.25, outputPerMTok: 1.25 },
        large: { inputPerMTok: 5, outputPerMTok: 5 },
      };
      const ev = evidenceFromLabelled([file], { prices, schemas: {}, costPerAction: 0.000025 });
      expect(ev[0]!.candidates).toEqual(['small', 'mid', 'large']);
      const [a] = advise(ev, {
        target: 0.97,
        confidence: 0.95,
        classifier: false,
        resamples: 200,
        monthlyTokens: 200e6,
      });
      expect(a!.recommendation).toMatchObject({ kind: 'static-small', model: 'mid' });
      expect(a!.recommendation.reason).toMatch(
        /^mid alone keeps .* \(guaranteed >= 97\.0% with 95\.0% confidence/,
      );
      expect(a!.fit!.artefact.ladder).toEqual(['mid']);
      expect(a!.recommendation.monthlySavingUsd!).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('advise helpers', () => {
  it('parses token volumes', () => {
    expect(parseTokens('50M')).toBe(50e6);
    expect(parseTokens('2.5e6')).toBe(2.5e6);
    expect(parseTokens('800k')).toBe(800e3);
    expect(() => parseTokens('lots')).toThrow(/monthly-tokens/);
  });

  it('computes AUC with ties as half', () => {
    expect(auc([1, 2, 3, 4], [false, false, true, true])).toBe(1);
    expect(auc([1, 1], [false, true])).toBe(0.5);
    expect(auc([1], [true])).toBeNull();
  });

  it('weighs a fixed-rule policy with the exact test: its bound, cost and savings interval', () => {
    const rows: LabelledRow[] = Array.from({ length: 40 }, (_, i) => ({
      file: 'x',
      line: i + 1,
      id: String(i),
      task: 't',
      messages: [],
      outcomes: {
        s: { correct: i % 2 === 0, raw: null, kind: null, costUsd: 1, answerCostUsd: 1 },
        l: { correct: i % 4 !== 3, raw: null, kind: null, costUsd: 10, answerCostUsd: 10 },
      },
    }));
    const opts = { confidence: 0.95, resamples: 200, seed: 1 };
    const small = fixedRulePolicy(rows, 's', 'l', () => true, opts)!;
    expect(small.relativeQuality).toBeCloseTo(20 / 30, 12);
    expect(small.relativeCost).toBeCloseTo(0.1, 12);
    expect(small.lowerBound).toBeLessThan(small.relativeQuality);
    // "small first, escalate when invalid" pays both on escalated rows.
    const half = fixedRulePolicy(rows, 's', 'l', (i) => i < 20, opts)!;
    expect(half.relativeCost).toBeCloseTo((20 * 1 + 20 * 11) / 400, 12);
  });
});
