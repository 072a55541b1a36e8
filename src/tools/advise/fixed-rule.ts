/**
 * A fixed rule's figures on labelled rows: what "the small model alone" (question b) and
 * "direct-small" (question d) are weighed with.
 */
import type { LabelledRow } from '../calibrate/fit';
import { PairedBootstrap, percentileInterval } from '../calibrate/bootstrap';
import { qualityLowerBound, thinnedTest, thinningUniforms } from '../calibrate/guarantee';
import type { PolicyFigures } from './types';

/**
 * A fixed rule that serves small or large per row (small alone; small when its answer is
 * schema-valid, else large), weighed on every labelled row: a single hypothesis fixed before the
 * rows were looked at, so the exact test of the guarantee (src/tools/calibrate/guarantee.ts)
 * applies to all of them without a split. `lowerBound` is its exact one-sided lower confidence
 * bound of relative quality; the savings interval is a descriptive percentile bootstrap.
 */
export function fixedRulePolicy(
  rows: readonly LabelledRow[],
  small: string,
  large: string,
  servesSmall: (i: number) => boolean,
  opts: { confidence: number; resamples: number; seed: number },
): PolicyFigures | null {
  const n = rows.length;
  if (n === 0) return null;
  const ref = Uint8Array.from(rows, (r) => (r.outcomes[large]!.correct ? 1 : 0));
  const served = Uint8Array.from(rows, (r, i) =>
    (servesSmall(i) ? r.outcomes[small]! : r.outcomes[large]!).correct ? 1 : 0,
  );
  const cost = Float64Array.from(rows, (r, i) =>
    servesSmall(i)
      ? r.outcomes[small]!.answerCostUsd
      : r.outcomes[small]!.answerCostUsd + r.outcomes[large]!.answerCostUsd,
  );
  const refCost = Float64Array.from(rows, (r) => r.outcomes[large]!.answerCostUsd);
  const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);
  const refRight = sum(ref);
  const boot = new PairedBootstrap(n, opts.resamples, opts.seed);
  const refCostSums = boot.sums(refCost);
  const savings = boot.sums(cost).map((c, b) => 1 - c / refCostSums[b]!);
  const [lo, hi] = percentileInterval(savings, 2 * opts.confidence - 1);
  return {
    relativeQuality: refRight ? sum(served) / refRight : sum(served) ? Infinity : 1,
    lowerBound: qualityLowerBound(
      (t) => thinnedTest(ref, served, thinningUniforms(n, opts.seed), t).pValue,
      opts.confidence,
    ),
    relativeCost: sum(refCost) ? sum(cost) / sum(refCost) : 1,
    savingsInterval: [lo, hi],
  };
}
