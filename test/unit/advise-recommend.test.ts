/**
 * `cascade advise` on labelled rows of the synthetic sets (data/synthetic): a calibrated cascade
 * where it saves money at the target, a cheaper model alone where it keeps the quality, static
 * where no policy saves money, static below break-even; with the figures behind each (the cases:
 * ./advise-cases.ts; on the recorded cascades sets: test/shared/advise-recorded.test.ts). Then the
 * advisor's helpers.
 */
import { describe, expect, it } from 'vitest';
import { auc, bootstrapPolicy } from '../../src/advise/analyse';
import { parseTokens } from '../../src/cli/commands/advise';
import type { LabelledRow } from '../../src/router/calibration/fit';
import { shippedData } from '../helpers/data';
import { adviseOnLabelledSets } from './advise-cases';

describe('advise on labelled rows (synthetic sets)', () => {
  adviseOnLabelledSets((set) => shippedData(`synthetic/${set}.jsonl`), 300);
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

  it('bootstraps a fixed-rule policy: serving the large model always is quality 1 at cost 1', () => {
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
    const small = bootstrapPolicy(rows, 's', 'l', () => true, opts)!;
    expect(small.relativeQuality).toBeCloseTo(20 / 30, 12);
    expect(small.relativeCost).toBeCloseTo(0.1, 12);
    expect(small.lowerBound).toBeLessThan(small.relativeQuality);
    // "small first, escalate when invalid" pays both on escalated rows.
    const half = bootstrapPolicy(rows, 's', 'l', (i) => i < 20, opts)!;
    expect(half.relativeCost).toBeCloseTo((20 * 1 + 20 * 11) / 400, 12);
  });
});
