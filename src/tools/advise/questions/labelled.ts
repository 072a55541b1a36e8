/**
 * Question (b): is there labelled data, and does it calibrate with the guarantee? The answer is
 * `cascade calibrate --candidates`'s own fit and guarantee (src/tools/calibrate/fit.ts): the
 * ladder (any cheapest-first subset of the labelled models, one cheaper model alone included),
 * thresholds and skip points, or "do not route". On the rows labelled for every model when there
 * are enough of them, else small and large only.
 */
import { fitCascadeCalibration, type FitResult, type LabelledRow } from '../../calibrate/fit';
import { fixedRulePolicy } from '../fixed-rule';
import { pct, pp } from '../text';
import type { PolicyFigures, TaskAdvice } from '../types';
import { ruleOptions, type TaskContext } from './context';

/** The answer to (b), and what the other questions and the recommendation read of its fit. */
export interface LabelledFindings {
  answer: TaskAdvice['labelled'];
  /** Labels for both models, the large model right at least once: anything to weigh at all. */
  labelledOk: boolean;
  fit: FitResult | null;
  /** The policy the guarantee chose, null without a fit. */
  chosen: FitResult['artefact']['chosen'] | null;
  /** A calibrated cascade cheaper than the large model is confirmed. */
  cascadeSaves: boolean;
  /**
   * A cheaper model alone, confirmed by the same test (the dearest model is not always the best:
   * in ../shared/data qwen2.5-72b beats gpt-4o on MMLU).
   */
  staticAlternative: { model: string; figures: PolicyFigures } | null;
  /** The ladder fitted (or small -> large), for the prose. */
  ladderText: string;
}

interface LabelledFit {
  labelledOk: boolean;
  fit: FitResult | null;
  fitError: string | null;
  fitRows: LabelledRow[];
  /** Rows (labelled for small and large) the small model answers right. */
  smallRight: number;
}

/** The calibration search, where there is something to calibrate; its error, if it could not run. */
function fitLabelled(c: TaskContext): LabelledFit {
  const { ev, opts, rows, small, large } = c;
  const labelledOk = rows.length >= 2 && rows.some((r) => r.outcomes[large]!.correct);
  const everyModel = ev.candidates.length > 2 && ev.candidateRows.length >= Math.max(4, 0.8 * rows.length);
  const models = everyModel ? ev.candidates : [small, large];
  const fitRows = everyModel ? ev.candidateRows : rows;
  let fit: FitResult | null = null;
  let fitError: string | null = null;
  const smallRight = rows.filter((r) => r.outcomes[small]!.correct).length;
  if (labelledOk && fitRows.length >= 4 && (everyModel || (smallRight > 0 && smallRight < rows.length))) {
    try {
      fit = fitCascadeCalibration(fitRows, {
        candidates: models,
        target: opts.target,
        confidence: c.routeConfidence,
        resamples: c.resamples,
        seed: c.seed,
        classifier: opts.classifier !== false && fitRows.every((r) => r.messages.length > 0),
      });
    } catch (err) {
      fitError = (err as Error).message;
    }
  }
  return { labelledOk, fit, fitError, fitRows, smallRight };
}

function staticAlternativeOf(fit: FitResult | null, large: string): LabelledFindings['staticAlternative'] {
  const rec0 = fit?.artefact.recommendation ?? null;
  const chosen = fit?.artefact.chosen ?? null;
  return fit && rec0?.route === 'static' && rec0.model !== null && rec0.model !== large
    ? {
        model: rec0.model,
        figures: {
          relativeQuality: chosen!.relativeQuality,
          lowerBound: chosen!.lowerBound ?? NaN,
          relativeCost: chosen!.relativeCost,
          savingsInterval: chosen!.intervals.savings,
        } satisfies PolicyFigures,
      }
    : null;
}

function chosenFiguresOf(fit: FitResult | null): TaskAdvice['labelled']['chosen'] {
  const chosen = fit?.artefact.chosen ?? null;
  return chosen && fit?.selection.chosen
    ? {
        relativeQuality: chosen.relativeQuality,
        lowerBound: chosen.lowerBound ?? NaN,
        relativeCost: chosen.relativeCost,
        savingsInterval: chosen.intervals.savings,
        escalationRate: chosen.escalationRate,
        escalationInterval: chosen.intervals.escalationRate,
        boundWidth: chosen.relativeQuality - (chosen.lowerBound ?? NaN),
      }
    : null;
}

/** (b)'s prose: why the rows are, or are not, enough. */
function labelledNote(
  c: TaskContext,
  lf: LabelledFit,
  f: Omit<LabelledFindings, 'answer'>,
  figures: Pick<TaskAdvice['labelled'], 'chosen' | 'pointEstimate'>,
  estimateSaves: boolean,
): string {
  const { opts, routeConfidence } = c;
  const { fit, chosen, staticAlternative, ladderText } = f;
  const testRows = fit?.artefact.split.testRows ?? 0;
  return !lf.labelledOk
    ? 'no reference labels for both models: the quality of the small model is unknown; collect labels (a judge, user feedback, an eval set) before fitting a router'
    : lf.fitError
      ? `calibration could not run: ${lf.fitError}`
      : fit === null
        ? `the small model is ${lf.smallRight === 0 ? 'never' : 'always'} right on these rows: nothing to calibrate`
        : f.cascadeSaves
          ? `${lf.fitRows.length} labelled rows are enough: the ladder ${ladderText} at ${pct(chosen!.relativeCost)} of the large model's cost keeps ${pct(opts.target)} of its quality with ${pct(routeConfidence)} confidence (exact bound ${pct(chosen!.lowerBound)} on ${testRows} held-out rows, ${pp(figures.chosen!.boundWidth)} below the estimate)`
          : staticAlternative !== null
            ? `${lf.fitRows.length} labelled rows are enough: ${staticAlternative.model} alone keeps ${pct(opts.target)} of the large model's quality with ${pct(routeConfidence)} confidence (exact bound ${pct(staticAlternative.figures.lowerBound)})`
            : estimateSaves
              ? `not enough to route with the guarantee: the point estimate finds a policy at ${pct(figures.pointEstimate!.relativeCost)} cost, but ${testRows} held-out rows cannot confirm ${pct(opts.target)} at ${pct(routeConfidence)} (with no losses a test needs about ${Math.ceil(Math.log(1 / (1 - routeConfidence)) / -Math.log(opts.target))} rows both models answer right); more labelled rows would`
              : `no routing policy saves money at the target even on the point estimate (${lf.fitRows.length} rows): more data would not change the answer`;
}

export function labelledQuestion(c: TaskContext): LabelledFindings {
  const { ev, opts, rows, small, large } = c;
  const lf = fitLabelled(c);
  const { labelledOk, fit } = lf;
  const smallAlone = labelledOk ? fixedRulePolicy(rows, small, large, () => true, ruleOptions(c)) : null;
  const chosen = fit?.artefact.chosen ?? null;
  const cascadeSaves =
    fit?.artefact.recommendation.route === 'cascade' && chosen !== null && chosen.relativeCost < 1;
  const staticAlternative = staticAlternativeOf(fit, large);
  const chosenFig = chosenFiguresOf(fit);
  const pointEstimate = fit
    ? {
        relativeQuality: fit.artefact.baseline.relativeQuality,
        relativeCost: fit.artefact.baseline.relativeCost,
      }
    : null;
  // The usual practice (one threshold tuned on the point estimate) would route: the guarantee's
  // refusal is then a matter of too few rows, not of a policy that does not pay.
  const estimateSaves =
    pointEstimate !== null &&
    pointEstimate.relativeQuality >= opts.target &&
    pointEstimate.relativeCost < 0.97;
  const findings = {
    labelledOk,
    fit,
    chosen,
    cascadeSaves,
    staticAlternative,
    ladderText: fit ? fit.artefact.ladder.join(' -> ') : `${small} -> ${large}`,
  };
  return {
    ...findings,
    answer: {
      rows: rows.length,
      labelSource: ev.labelSource,
      clearsTarget: cascadeSaves,
      chosen: chosenFig,
      pointEstimate,
      smallAlone,
      enough: labelledOk && (cascadeSaves || staticAlternative !== null || !estimateSaves),
      note: labelledNote(c, lf, findings, { chosen: chosenFig, pointEstimate }, estimateSaves),
    },
  };
}
