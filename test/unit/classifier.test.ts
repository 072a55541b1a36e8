import { describe, expect, it } from 'vitest';
import { trainClassifier } from '../../src/tools/calibrate/train-classifier';
import {
  compileClassifier,
  predictWithClassifier,
  type ClassifierModel,
} from '../../src/request/router/classifier';
import { promptFeatures } from '../../src/request/router/features';
import { seededRandom } from '../../src/request/router/random';

const HASHING = { bits: 10, ngrams: [1, 2] };
const EASY = ['capital', 'colour', 'spell', 'name', 'count'];
const HARD = ['integral', 'prove', 'derive', 'optimise', 'recursion'];

/** Prompts whose words say whether the small model gets them right: linearly separable. */
function synthetic(n: number, seed: number) {
  const rnd = seededRandom(seed);
  const pick = (xs: string[]) => xs[Math.floor(rnd() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const easy = i % 2 === 0;
    const words = [pick(easy ? EASY : HARD), pick(easy ? EASY : HARD), 'question', String(i % 7)];
    return {
      messages: [{ role: 'user' as const, content: `Please ${words.join(' ')} now?` }],
      small: easy,
      task: easy ? 'trivia' : 'math',
    };
  });
}

describe('the pre-route classifier (logistic regression, L2)', () => {
  const rows = synthetic(120, 7);
  const trained = trainClassifier(
    rows.map((r) => promptFeatures(r.messages, HASHING)),
    { small: rows.map((r) => r.small) },
    rows.map((r) => r.task),
    { hashing: HASHING, seed: 3 },
  );

  it('learns a separable set from outcomes, out of fold too', () => {
    const report = trained.model.heads.small!.report;
    expect(report.rows).toBe(120);
    expect(report.positives).toBe(60);
    expect(report.heldOut.auc).toBeGreaterThan(0.95);
    expect(report.heldOut.logLoss).toBeLessThan(report.heldOut.baseLogLoss);
    expect(trained.outOfFold.small).toHaveLength(120);

    const compiled = compileClassifier(trained.model);
    const fresh = synthetic(40, 99);
    for (const r of fresh) {
      const p = predictWithClassifier(compiled, promptFeatures(r.messages, HASHING), ['small', 'large']);
      expect(p.rungs[1]).toBeNull(); // no head for the large model
      if (r.small) expect(p.rungs[0]!).toBeGreaterThan(0.5);
      else expect(p.rungs[0]!).toBeLessThan(0.5);
      expect(p.taskType?.label).toBe(r.task);
    }
  });

  it('is deterministic and survives serialisation exactly', () => {
    const again = trainClassifier(
      rows.map((r) => promptFeatures(r.messages, HASHING)),
      { small: rows.map((r) => r.small) },
      rows.map((r) => r.task),
      { hashing: HASHING, seed: 3 },
    );
    expect(again.model).toEqual(trained.model);
    const roundTripped = JSON.parse(JSON.stringify(trained.model)) as ClassifierModel;
    const a = compileClassifier(trained.model);
    const b = compileClassifier(roundTripped);
    for (const r of synthetic(10, 5)) {
      const f = promptFeatures(r.messages, HASHING);
      expect(predictWithClassifier(b, f, ['small'])).toEqual(predictWithClassifier(a, f, ['small']));
    }
    // Sparse lexical weights: only buckets the training text touched.
    expect(trained.model.heads.small!.lexical.length).toBeLessThan(1 << HASHING.bits);
  });

  it('trains no task-type heads on a single task family', () => {
    const one = trainClassifier(
      rows.map((r) => promptFeatures(r.messages, HASHING)),
      { small: rows.map((r) => r.small) },
      rows.map(() => 'mmlu/abstract_algebra'),
      { hashing: HASHING },
    );
    expect(one.model.taskType).toBeNull();
  });
});
