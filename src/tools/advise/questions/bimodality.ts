/**
 * Question (c): is the traffic bimodal, requests the small model handles as well as the large one
 * and requests it fails, told apart by its confidence? Only then does a cascade have something to
 * route on; otherwise everything goes to one model.
 */
import { CONFIDENCE_KIND_SOURCES } from '../../../request/router/calibration/artefact';
import type { LabelledRow } from '../../calibrate/fit';
import { calibrate } from '../../../request/router/confidence';
import { num, pct } from '../text';
import type { TaskAdvice } from '../types';
import type { TaskContext } from './context';
import type { LabelledFindings } from './labelled';

/** AUC of a score for a binary outcome (ties count half). */
export function auc(scores: readonly number[], positive: readonly boolean[]): number | null {
  const pos = scores.filter((_, i) => positive[i]);
  const neg = scores.filter((_, i) => !positive[i]);
  if (pos.length === 0 || neg.length === 0) return null;
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

/**
 * How well the small model's raw confidence separates its right answers from its wrong ones (AUC),
 * and the share whose calibrated P(small right), through the fit's map, is in the middle band
 * [0.3, 0.7]; null where the rows carry no confidence (or, for the band, there is no fit).
 */
function separation(c: TaskContext, fit: LabelledFindings['fit']) {
  const { rows, small } = c;
  let borderline: number | null = null;
  let confidenceAuc: number | null = null;
  const map = fit?.maps[fit.models.indexOf(small)] ?? null;
  const kind = rows[0]?.outcomes[small]?.kind ?? null;
  if (rows.length && rows.every((r) => r.outcomes[small]!.raw !== null)) {
    const raws = rows.map((r) => r.outcomes[small]!.raw!);
    confidenceAuc = auc(
      raws,
      rows.map((r) => r.outcomes[small]!.correct),
    );
    if (map && kind) {
      const source = CONFIDENCE_KIND_SOURCES[kind] ?? 'answer_logprob';
      const p = raws.map((x) => calibrate(map.map, x, source));
      borderline = p.filter((x) => x >= 0.3 && x <= 0.7).length / p.length;
    }
  }
  return { borderline, confidenceAuc };
}

export function bimodalityQuestion(c: TaskContext, l: LabelledFindings): TaskAdvice['bimodality'] {
  const { rows, small, large, smallM } = c;
  const { labelledOk, staticAlternative } = l;
  const { borderline, confidenceAuc } = separation(c, l.fit);
  const share = (f: (r: LabelledRow) => boolean) => (labelledOk ? rows.filter(f).length / rows.length : null);
  const smallAsGood = share((r) => r.outcomes[small]!.correct || !r.outcomes[large]!.correct);
  const smallFails = share((r) => !r.outcomes[small]!.correct && r.outcomes[large]!.correct);
  const bothWrong = share((r) => !r.outcomes[small]!.correct && !r.outcomes[large]!.correct);
  const verdict: TaskAdvice['bimodality']['verdict'] = !labelledOk
    ? 'unknown'
    : staticAlternative?.model === small
      ? 'everything-small'
      : l.cascadeSaves
        ? 'bimodal'
        : 'everything-large';
  const note =
    verdict === 'unknown'
      ? `no labels: the small model agrees with the large one on ${pct(smallM.agreementWithLarge)} of requests (agreement is not correctness)`
      : verdict === 'everything-small'
        ? `the small model alone keeps the target (exact bound ${pct(staticAlternative!.figures.lowerBound)}): no router needed, route everything small`
        : verdict === 'bimodal'
          ? `separable: the small model is as good on ${pct(smallAsGood)}, fails on ${pct(smallFails)}, and its confidence tells them apart (AUC ${num(confidenceAuc)})`
          : `not separable enough to route: small fails on ${pct(smallFails)}` +
            (borderline !== null ? `, ${pct(borderline)} borderline (calibrated P(right) in 0.3-0.7)` : '') +
            (confidenceAuc !== null ? `, confidence AUC ${num(confidenceAuc)}` : '') +
            `: route everything large`;
  return {
    smallAsGood,
    smallFails,
    bothWrong,
    borderline,
    confidenceAuc,
    agreementWithLarge: smallM.agreementWithLarge,
    verdict,
    note,
  };
}
