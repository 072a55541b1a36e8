import { describe, expect, it } from 'vitest';
import { fitCascadeCalibration, type LabelledRow } from '../../src/tools/calibrate/fit';
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

  it('reads the structural features it was trained with, not ones added since', () => {
    // The synthetic prompts hold no fractions, so give the feature a weight: a classifier that
    // has learned something from the fraction count.
    const names = trained.model.structural.names;
    const fi = names.indexOf('fractions');
    expect(fi).toBeGreaterThanOrEqual(0);
    const head = trained.model.heads.small!;
    const learned: ClassifierModel = {
      ...trained.model,
      heads: { small: { ...head, structural: head.structural.map((w, j) => (j === fi ? 2 : w)) } },
    };
    // A classifier trained before `fractions` and `percentages` existed (issue #15) names the
    // 26 features it knew, in its standardiser and its heads.
    const keep = names.map((_, j) => j).filter((j) => names[j] !== 'fractions' && names[j] !== 'percentages');
    expect(keep).toHaveLength(names.length - 2);
    const pick = (xs: number[]) => keep.map((j) => xs[j]!);
    const old: ClassifierModel = {
      ...learned,
      structural: {
        names: keep.map((j) => names[j]!),
        mean: pick(learned.structural.mean),
        scale: pick(learned.structural.scale),
      },
      heads: { small: { ...learned.heads.small!, structural: pick(learned.heads.small!.structural) } },
    };
    const plain = promptFeatures(
      [{ role: 'user', content: 'Please integral prove question 3 now?' }],
      HASHING,
    );
    const withFractions = { ...plain, structural: { ...plain.structural, fractions: 9, percentages: 4 } };
    const p = (m: ClassifierModel, f: typeof plain) =>
      predictWithClassifier(compileClassifier(m), f, ['small']).rungs[0]!;
    expect(p(learned, withFractions)).not.toBeCloseTo(p(learned, plain), 3);
    expect(p(old, withFractions)).toBe(p(old, plain));
    expect(p(old, plain)).toBeGreaterThan(0);
    expect(p(old, plain)).toBeLessThan(1);
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

/**
 * Soft targets (issue #15): fit.ts trains each head on (1 + the model right - the reference right)
 * / 2, so requests only the small model answers right rank above the ties, and those above the
 * requests only the reference answers right. The boolean "as good as the reference" target
 * labelled the first two alike.
 */
describe('soft targets (the accuracy gap a stronger model would recover)', () => {
  const GROUPS = [
    { word: 'alpha', small: true, large: false }, // only the small model right
    { word: 'bravo', small: true, large: true }, // a tie
    { word: 'charlie', small: false, large: false }, // a tie
    { word: 'delta', small: false, large: true }, // only the reference right
  ];
  const build = (n: number, seed: number) => {
    const rnd = seededRandom(seed);
    return Array.from({ length: n }, (_, i) => {
      const g = GROUPS[i % GROUPS.length]!;
      const content = `Please ${g.word} ${['one', 'two', 'three'][Math.floor(rnd() * 3)]} question?`;
      return { messages: [{ role: 'user' as const, content }], ...g, task: 'qa' };
    });
  };
  const rows = build(160, 11);
  const features = rows.map((r) => promptFeatures(r.messages, HASHING));
  const soft = trainClassifier(
    features,
    { small: rows.map((r) => (1 + Number(r.small) - Number(r.large)) / 2) },
    rows.map((r) => r.task),
    { hashing: HASHING, seed: 3 },
  );
  const asGood = trainClassifier(
    features,
    { small: rows.map((r) => r.small || !r.large) },
    rows.map((r) => r.task),
    { hashing: HASHING, seed: 3 },
  );
  const predict = (model: ClassifierModel, word: string) =>
    predictWithClassifier(
      compileClassifier(model),
      promptFeatures([{ role: 'user', content: `Please ${word} two question?` }], HASHING),
      ['small'],
    ).rungs[0]!;

  it('rank the small model winning above ties, and ties above the reference winning', () => {
    const [a, b, c, d] = GROUPS.map((g) => predict(soft.model, g.word));
    expect(a).toBeGreaterThan(0.65);
    expect(b).toBeGreaterThan(0.35);
    expect(b).toBeLessThan(0.65);
    expect(c).toBeGreaterThan(0.35);
    expect(c).toBeLessThan(0.65);
    expect(d).toBeLessThan(0.35);
    // The boolean target cannot tell the small model winning from a tie.
    expect(Math.abs(predict(asGood.model, 'alpha') - predict(asGood.model, 'bravo'))).toBeLessThan(0.1);
  });

  it('are reported (cross-entropy, AUC on the rows that are not ties), and only for soft heads', () => {
    const report = soft.model.heads.small!.report;
    expect(report.softTargets).toBe(true);
    expect(report.positives).toBe(40);
    expect(report.heldOut.auc).toBeGreaterThan(0.95);
    expect(report.heldOut.logLoss).toBeLessThan(report.heldOut.baseLogLoss);
    expect(asGood.model.heads.small!.report.softTargets).toBeUndefined();
  });

  it('are what fit.ts trains its heads on', () => {
    const outcome = (correct: boolean) => ({
      correct,
      raw: null,
      costUsd: 0.001,
      answerCostUsd: 0.001,
      kind: null,
    });
    const labelled: LabelledRow[] = build(200, 5).map((r, i) => ({
      file: 'synthetic',
      line: i + 1,
      id: String(i),
      task: r.task,
      messages: r.messages,
      outcomes: {
        small: outcome(r.small),
        large: { ...outcome(r.large), costUsd: 0.01, answerCostUsd: 0.01 },
      },
    }));
    const fit = fitCascadeCalibration(labelled, {
      ladder: ['small', 'large'],
      target: 0.97,
      confidence: 0.95,
    });
    const head = fit.classifier!.model.heads.small!;
    expect(head.report.softTargets).toBe(true);
    const p = (word: string) => predict(fit.classifier!.model, word);
    expect(p('alpha')).toBeGreaterThan(p('bravo'));
    expect(p('bravo')).toBeGreaterThan(p('delta'));
  });
});
