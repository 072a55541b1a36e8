/**
 * The recommendation, from the five answers, in the field report's decision tree's order: a
 * cheaper model alone where the guarantee confirms one; a placeholder rules route (or the large
 * model) without labels; the large model where no routed policy pays; a static model below
 * break-even; else the best routed policy (or latency-budget dispatch where, under load, the model
 * endpoints and not the router saturate).
 */
import { fmtTokens, pct, usd } from './text';
import type { PolicyFigures, TaskAdvice } from './types';
import type { TaskContext } from './questions/context';
import type { LabelledFindings } from './questions/labelled';
import type { BestRoute } from './questions/routes';

type Recommendation = TaskAdvice['recommendation'];

export interface Answers {
  labelled: LabelledFindings;
  latency: TaskAdvice['latency'];
  spend: TaskAdvice['spend'];
  best: BestRoute | null;
}

/** The monthly saving of serving one model statically: none unless the guarantee confirmed it. */
function staticSaving(
  a: Answers,
  model: string,
  figures: PolicyFigures | null = model === a.labelled.staticAlternative?.model
    ? a.labelled.staticAlternative.figures
    : null,
): Pick<Recommendation, 'monthlySavingUsd' | 'monthlySavingInterval'> {
  if (!figures) return { monthlySavingUsd: 0, monthlySavingInterval: [0, 0] as [number, number] };
  const { staticLargeUsdMonth } = a.spend;
  return {
    monthlySavingUsd: staticLargeUsdMonth * (1 - figures.relativeCost),
    monthlySavingInterval: [
      staticLargeUsdMonth * figures.savingsInterval[0],
      staticLargeUsdMonth * figures.savingsInterval[1],
    ] as [number, number],
  };
}

/** The guarantee's own answer: one cheaper model alone is the cheapest policy it accepts. */
function cheaperModelAlone(c: TaskContext, a: Answers, warnings: string[]): Recommendation {
  const alt = a.labelled.staticAlternative!;
  const cascadeCost = a.labelled
    .fit!.selection.tested.filter((t) => t.accepted && t.ladder.length > 1)
    .reduce((m, t) => Math.min(m, t.test.relativeCost), Infinity);
  return {
    kind: 'static-small',
    model: alt.model,
    reason:
      `${alt.model} alone keeps ${pct(alt.figures.relativeQuality)} of ${c.large}'s quality on held-out rows (guaranteed >= ${pct(c.opts.target)} with ${pct(c.routeConfidence)} confidence, exact bound ${pct(alt.figures.lowerBound)}) ` +
      `at ${pct(alt.figures.relativeCost)} of its cost${Number.isFinite(cascadeCost) ? `, less than the best cascade's ${pct(cascadeCost)}` : ''}: no router, serve ${alt.model} statically`,
    ...staticSaving(a, alt.model, alt.figures),
    warnings,
  };
}

function withoutLabels(c: TaskContext, a: Answers, warnings: string[]): Recommendation {
  return a.spend.verdict === 'below'
    ? {
        kind: 'static-large',
        model: c.large,
        reason: `below break-even and no labels: pick ${c.large} statically`,
        monthlySavingUsd: 0,
        monthlySavingInterval: [0, 0],
        warnings,
      }
    : {
        kind: 'rules-route',
        model: null,
        reason: `no labelled quality data: a rules route as a placeholder${c.schema ? ' (the schema as the rule: direct-small)' : ' (rules-v1, uncalibrated threshold)'} while labels are collected; savings unknown until then`,
        monthlySavingUsd: null,
        monthlySavingInterval: null,
        warnings,
      };
}

function routingDoesNotPay(c: TaskContext, a: Answers, warnings: string[]): Recommendation {
  const { fit, cascadeSaves } = a.labelled;
  return {
    kind: 'static-large',
    model: c.large,
    reason:
      fit && !cascadeSaves
        ? `no routing policy saves money at ${pct(c.opts.target)} quality with ${pct(c.opts.confidence)} confidence (${fit.artefact.recommendation.reason}): route everything to ${c.large}`
        : `routing does not pay after its orchestration cost: route everything to ${c.large}`,
    monthlySavingUsd: 0,
    monthlySavingInterval: [0, 0],
    warnings,
  };
}

function belowBreakEven(c: TaskContext, a: Answers, warnings: string[]): Recommendation {
  const { small, large, opts, band } = c;
  const { breakEvenTokensMonth, routerCostShareUsdMonth } = a.spend;
  // The small model only where the guarantee confirmed it alone; recommend() answers that case
  // first, so here this is the large model (kept as the decision tree states it).
  const cheapStatic = a.labelled.staticAlternative?.model === small ? small : large;
  return {
    kind: cheapStatic === small ? 'static-small' : 'static-large',
    model: cheapStatic,
    reason:
      breakEvenTokensMonth !== null
        ? `below break-even: at ${fmtTokens(opts.monthlyTokens)} tokens/month the best routed policy saves ${usd(a.best!.netUsdMonth)}/month, less than the router's ${usd(routerCostShareUsdMonth!)} share of its fixed cost (break-even ${fmtTokens(breakEvenTokensMonth)} tokens/month); pick ${cheapStatic} statically`
        : `below the field report's break-even band (${fmtTokens(opts.monthlyTokens)} < ${fmtTokens(band[0])} tokens/month): pick ${cheapStatic} statically`,
    ...staticSaving(a, cheapStatic),
    warnings,
  };
}

function routed(c: TaskContext, a: Answers, best: BestRoute, warnings: string[]): Recommendation {
  const { latency } = a;
  const { smallAlone } = a.labelled.answer;
  const fixed = a.spend.routerCostShareUsdMonth ?? 0;
  const bestModelLatency =
    latency.given &&
    !latency.routerBottleneck &&
    latency.saturationRate !== null &&
    best.candidate.kind === 'calibrated-cascade' &&
    smallAlone !== null &&
    smallAlone.relativeQuality >= c.opts.target;
  return {
    kind: bestModelLatency ? 'latency-budget' : best.candidate.kind,
    model: null,
    reason: bestModelLatency
      ? `${best.candidate.reason}; and under load the model endpoints (not the router) saturate at ${latency.saturationRate} req/s while ${c.small} alone matches on average (${pct(smallAlone!.relativeQuality)}): dispatch by queue depth within a latency budget`
      : best.candidate.reason,
    monthlySavingUsd: best.netUsdMonth - fixed,
    monthlySavingInterval: [best.netIntervalUsdMonth[0] - fixed, best.netIntervalUsdMonth[1] - fixed],
    warnings:
      a.spend.verdict === 'within-band'
        ? [...warnings, 'volume is within the break-even band: the saving is marginal']
        : warnings,
  };
}

export function recommend(c: TaskContext, a: Answers): Recommendation {
  const warnings: string[] = [];
  if (a.latency.routerBottleneck)
    warnings.push(`the router became the bottleneck under load (${a.latency.note}): fix that before routing`);
  const { verdict } = a.spend;
  if (a.labelled.staticAlternative !== null) return cheaperModelAlone(c, a, warnings);
  if (!a.labelled.labelledOk) return withoutLabels(c, a, warnings);
  if (a.best === null || verdict === 'never') return routingDoesNotPay(c, a, warnings);
  if (verdict === 'below') return belowBreakEven(c, a, warnings);
  return routed(c, a, a.best, warnings);
}
