/**
 * The field report's five questions, answered per task type with figures, and a recommendation:
 *
 *   (a) spend vs break-even        (b) labelled data, and whether it calibrates with the guarantee
 *   (c) bimodality                 (d) structural validation       (e) latency under load
 *
 * Pure: evidence in (src/advise/evidence.ts), advice out. docs/advise.md says how each figure is
 * computed.
 */
import { fitCascadeCalibration, type FitResult, type LabelledRow } from '../router/calibration/fit';
import { PairedBootstrap, percentileInterval } from '../router/calibration/bootstrap';
import { CONFIDENCE_KIND_SOURCES } from '../router/calibration/artefact';
import { qualityLowerBound, thinnedTest, thinningUniforms } from '../router/calibration/guarantee';
import { calibrate } from '../router/confidence';
import type { LoadtestResult } from '../loadtest/types';
import type { ModelEvidence, TaskEvidence } from './evidence';

export const DEFAULT_BREAK_EVEN_BAND: [number, number] = [5_000_000, 10_000_000];

export interface AdviseOptions {
  monthlyTokens: number;
  /** Router engineering + operating cost per month (whole deployment); absent: the field report's band. */
  routerCostUsdMonth?: number;
  target: number;
  /** 1 - delta of the guarantee (`cascade calibrate`'s); split in two when a schema adds the direct-small route. */
  confidence: number;
  /** Resamples of the descriptive savings intervals. */
  resamples?: number;
  seed?: number;
  classifier?: boolean;
  loadtest?: LoadtestResult | null;
  breakEvenBand?: [number, number];
}

export type RecommendationKind =
  'static-small' | 'static-large' | 'rules-route' | 'calibrated-cascade' | 'latency-budget';

export interface PolicyFigures {
  relativeQuality: number;
  lowerBound: number;
  relativeCost: number;
  /** Two-sided interval of the savings fraction (1 - relative cost). */
  savingsInterval: [number, number];
}

export interface TaskAdvice {
  task: string;
  source: string;
  requests: number;
  small: string;
  large: string;
  models: ModelEvidence[];
  spend: {
    tokenShare: number;
    monthlyTokens: number;
    requestsPerMonth: number;
    tokensPerRequest: number;
    staticLargeUsdMonth: number;
    staticSmallUsdMonth: number;
    /** Temporal actions a routed request adds over a static one, and their monthly cost. */
    extraActionsPerRequest: number | null;
    orchestrationExtraUsdMonth: number | null;
    /** The router's fixed cost attributed to this task (by token share); null without --router-cost-usd-month. */
    routerCostShareUsdMonth: number | null;
    /** Net saving per million tokens of the best routed policy (before the fixed cost). */
    routedSavingPerMTokUsd: number | null;
    /** Total monthly tokens where that saving covers the router's fixed cost (point, and at the interval's low end). */
    breakEvenTokensMonth: number | null;
    breakEvenTokensMonthHigh: number | null;
    breakEvenBand: [number, number];
    verdict: 'above' | 'within-band' | 'below' | 'never';
    note: string;
  };
  labelled: {
    rows: number;
    labelSource: string;
    /** A routed policy cheaper than the large model clears the target with the stated confidence. */
    clearsTarget: boolean;
    chosen:
      | (PolicyFigures & { escalationRate: number; escalationInterval: [number, number]; boundWidth: number })
      | null;
    pointEstimate: { relativeQuality: number; relativeCost: number } | null;
    smallAlone: PolicyFigures | null;
    enough: boolean;
    note: string;
  };
  bimodality: {
    smallAsGood: number | null;
    smallFails: number | null;
    bothWrong: number | null;
    /** Share whose calibrated P(small right) is in the middle band [0.3, 0.7]. */
    borderline: number | null;
    confidenceAuc: number | null;
    agreementWithLarge: number | null;
    verdict: 'everything-small' | 'everything-large' | 'bimodal' | 'unknown';
    note: string;
  };
  structural: {
    schema: boolean;
    validity: { model: string; rate: number | null }[];
    directSmall: PolicyFigures | null;
    note: string;
  };
  latency: {
    given: boolean;
    saturationRate: number | null;
    sustainedRate: number | null;
    routerBottleneck: boolean | null;
    addedP95AtTopMs: number | null;
    note: string;
  };
  recommendation: {
    kind: RecommendationKind;
    model: string | null;
    reason: string;
    /** Expected monthly saving against serving everything with the large model, net of router costs. */
    monthlySavingUsd: number | null;
    monthlySavingInterval: [number, number] | null;
    warnings: string[];
  };
  /** The calibration fit behind (b) and (c), for the config snippet (not serialised). */
  fit?: FitResult | null;
}

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
 * A fixed rule that serves small or large per row (small alone; small when its answer is
 * schema-valid, else large), weighed on every labelled row: a single hypothesis fixed before the
 * rows were looked at, so the exact test of the guarantee (src/router/calibration/guarantee.ts)
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

export function adviseTask(ev: TaskEvidence, opts: AdviseOptions, tokenShare: number): TaskAdvice {
  const seed = opts.seed ?? 1;
  const resamples = opts.resamples ?? 1000;
  const band = opts.breakEvenBand ?? DEFAULT_BREAK_EVEN_BAND;
  const smallM = ev.models.find((m) => m.model === ev.small)!;
  const largeM = ev.models.find((m) => m.model === ev.large)!;
  const rows = ev.labelled;
  const { small, large } = ev;

  // (a) volume and static spend.
  const monthlyTokens = opts.monthlyTokens * tokenShare;
  const tokensPerRequest = ev.tokensPerRequest > 0 ? ev.tokensPerRequest : 1;
  const requestsPerMonth = monthlyTokens / tokensPerRequest;
  const staticLargeUsdMonth = requestsPerMonth * largeM.meanCostUsd;
  const staticSmallUsdMonth = requestsPerMonth * smallM.meanCostUsd;

  // (b) labelled data: `cascade calibrate --candidates`'s own fit and guarantee
  // (src/router/calibration/fit.ts): the ladder (any cheapest-first subset of the labelled models,
  // one cheaper model alone included), thresholds and skip points, or "do not route". On the rows
  // labelled for every model when there are enough of them, else small and large only. With a
  // schema, direct-small is a second route weighed against the calibrated one: each is then held
  // at half the error (Bonferroni), so the one recommended keeps the stated confidence.
  const schema = ev.responseSchema !== null;
  const delta = 1 - opts.confidence;
  const routeConfidence = schema ? 1 - delta / 2 : opts.confidence;
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
        confidence: routeConfidence,
        resamples,
        seed,
        classifier: opts.classifier !== false && fitRows.every((r) => r.messages.length > 0),
      });
    } catch (err) {
      fitError = (err as Error).message;
    }
  }
  const ruleOpts = { confidence: routeConfidence, resamples, seed };
  const smallAlone = labelledOk ? fixedRulePolicy(rows, small, large, () => true, ruleOpts) : null;
  const rec0 = fit?.artefact.recommendation ?? null;
  const chosen = fit?.artefact.chosen ?? null;
  const cascadeSaves = rec0?.route === 'cascade' && chosen !== null && chosen.relativeCost < 1;
  // A cheaper model alone, guaranteed by the same test (the dearest model is not always the best:
  // in ../shared/data qwen2.5-72b beats gpt-4o on MMLU).
  const staticAlternative =
    fit && rec0?.route === 'static' && rec0.model !== null && rec0.model !== large
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
  const chosenFig =
    chosen && fit?.selection.chosen
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
  const pointEstimate = fit
    ? {
        relativeQuality: fit.artefact.baseline.relativeQuality,
        relativeCost: fit.artefact.baseline.relativeCost,
      }
    : null;
  const estimateSaves =
    pointEstimate !== null &&
    pointEstimate.relativeQuality >= opts.target &&
    pointEstimate.relativeCost < 0.97;
  const guaranteedStatic = staticAlternative !== null;
  const enough = labelledOk && (cascadeSaves || guaranteedStatic || !estimateSaves);
  const testRows = fit?.artefact.split.testRows ?? 0;
  const ladderText = fit ? fit.artefact.ladder.join(' -> ') : `${small} -> ${large}`;
  const labelledNote = !labelledOk
    ? 'no reference labels for both models: the quality of the small model is unknown; collect labels (a judge, user feedback, an eval set) before fitting a router'
    : fitError
      ? `calibration could not run: ${fitError}`
      : fit === null
        ? `the small model is ${smallRight === 0 ? 'never' : 'always'} right on these rows: nothing to calibrate`
        : cascadeSaves
          ? `${fitRows.length} labelled rows are enough: the ladder ${ladderText} at ${pct(chosen!.relativeCost)} of the large model's cost keeps ${pct(opts.target)} of its quality with ${pct(routeConfidence)} confidence (exact bound ${pct(chosen!.lowerBound)} on ${testRows} held-out rows, ${pp(chosenFig!.boundWidth)} below the estimate)`
          : guaranteedStatic
            ? `${fitRows.length} labelled rows are enough: ${staticAlternative!.model} alone keeps ${pct(opts.target)} of the large model's quality with ${pct(routeConfidence)} confidence (exact bound ${pct(staticAlternative!.figures.lowerBound)})`
            : estimateSaves
              ? `not enough to route with the guarantee: the point estimate finds a policy at ${pct(pointEstimate!.relativeCost)} cost, but ${testRows} held-out rows cannot confirm ${pct(opts.target)} at ${pct(routeConfidence)} (with no losses a test needs about ${Math.ceil(Math.log(1 / (1 - routeConfidence)) / -Math.log(opts.target))} rows both models answer right); more labelled rows would`
              : `no routing policy saves money at the target even on the point estimate (${fitRows.length} rows): more data would not change the answer`;

  // (c) bimodality.
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
  const share = (f: (r: LabelledRow) => boolean) => (labelledOk ? rows.filter(f).length / rows.length : null);
  const smallAsGood = share((r) => r.outcomes[small]!.correct || !r.outcomes[large]!.correct);
  const smallFails = share((r) => !r.outcomes[small]!.correct && r.outcomes[large]!.correct);
  const bothWrong = share((r) => !r.outcomes[small]!.correct && !r.outcomes[large]!.correct);
  const smallKeeps = staticAlternative?.model === small;
  const bimodalVerdict: TaskAdvice['bimodality']['verdict'] = !labelledOk
    ? 'unknown'
    : smallKeeps
      ? 'everything-small'
      : cascadeSaves
        ? 'bimodal'
        : 'everything-large';
  const bimodalNote =
    bimodalVerdict === 'unknown'
      ? `no labels: the small model agrees with the large one on ${pct(smallM.agreementWithLarge)} of requests (agreement is not correctness)`
      : bimodalVerdict === 'everything-small'
        ? `the small model alone keeps the target (exact bound ${pct(staticAlternative!.figures.lowerBound)}): no router needed, route everything small`
        : bimodalVerdict === 'bimodal'
          ? `separable: the small model is as good on ${pct(smallAsGood)}, fails on ${pct(smallFails)}, and its confidence tells them apart (AUC ${num(confidenceAuc)})`
          : `not separable enough to route: small fails on ${pct(smallFails)}` +
            (borderline !== null ? `, ${pct(borderline)} borderline (calibrated P(right) in 0.3-0.7)` : '') +
            (confidenceAuc !== null ? `, confidence AUC ${num(confidenceAuc)}` : '') +
            `: route everything large`;

  // (d) structural validation.
  const validFlags = ev.smallSchemaValid;
  const directSmall =
    schema && labelledOk && validFlags.length === rows.length && validFlags.every((v) => v !== null)
      ? fixedRulePolicy(rows, small, large, (i) => validFlags[i] === true, ruleOpts)
      : null;
  const directClears =
    directSmall !== null && directSmall.lowerBound >= opts.target && directSmall.relativeCost < 1;
  const structuralNote = !schema
    ? 'no response schema configured for this task: structural validation is not available, quality must come from confidence or labels'
    : `schema configured; valid answers: ${ev.models.map((m) => `${m.model} ${pct(m.schemaValidRate)}`).join(', ')}` +
      (directSmall
        ? `; serving the small model when its answer is valid (direct-small) keeps ${pct(directSmall.relativeQuality)} (exact bound ${pct(directSmall.lowerBound)} at ${pct(routeConfidence)}) at ${pct(directSmall.relativeCost)} cost`
        : '');

  // (e) latency under load.
  const lt = opts.loadtest ?? null;
  const top = lt?.steps[lt.steps.length - 1];
  const latency: TaskAdvice['latency'] = lt
    ? {
        given: true,
        saturationRate: lt.saturationRate,
        sustainedRate: lt.sustainedRate,
        routerBottleneck: lt.routerBottleneck,
        addedP95AtTopMs: top?.addedMs.p95 ?? null,
        note:
          (lt.saturationRate === null
            ? `held every tested rate up to ${top?.offeredRate ?? '-'} req/s`
            : `saturated at ${lt.saturationRate} req/s (held ${lt.sustainedRate ?? 'none'})`) +
          (lt.peak !== null ? ` against a stated peak of ${lt.peak} req/s (x${lt.multiplier})` : '') +
          `; added (non-model) p95 at the top rate ${ms(top?.addedMs.p95 ?? null)}` +
          (lt.routerBottleneck
            ? '; the router/orchestration became the bottleneck'
            : '; the router was not the bottleneck'),
      }
    : {
        given: false,
        saturationRate: null,
        sustainedRate: null,
        routerBottleneck: null,
        addedP95AtTopMs: null,
        note: 'no loadtest given (--loadtest FILE.json from `cascade loadtest`)',
      };

  // Routed candidates, net of orchestration.
  const selfCheck =
    kind !== null && ['self_check_log_p_yes', 'self_check', 'judge_score', 'judge'].includes(kind);
  const candidates: { kind: RecommendationKind; fig: PolicyFigures; extraActions: number; reason: string }[] =
    [];
  if (cascadeSaves && chosenFig) {
    candidates.push({
      kind: 'calibrated-cascade',
      fig: chosenFig,
      // classify + check markers, one more call when escalated, the self-check call when checked.
      extraActions: 2 + chosen!.escalationRate + (selfCheck ? 1 - chosen!.skipRate : 0),
      reason: `a calibrated cascade ${ladderText} keeps ${pct(chosen!.relativeQuality)} of the large model's quality on held-out rows (guaranteed >= ${pct(opts.target)} with ${pct(routeConfidence)} confidence, exact bound ${pct(chosen!.lowerBound)}) at ${pct(chosen!.relativeCost)} of its cost, escalating ${pct(chosen!.escalationRate)}`,
    });
  }
  if (directClears) {
    candidates.push({
      kind: 'rules-route',
      fig: directSmall!,
      extraActions:
        2 +
        (1 - directSmall!.relativeCost > 0 ? rows.filter((_, i) => !validFlags[i]).length / rows.length : 0),
      reason: `the schema is the rule (direct-small): ${small}'s valid answers stand, invalid ones escalate; keeps ${pct(directSmall!.relativeQuality)} (bound ${pct(directSmall!.lowerBound)}) at ${pct(directSmall!.relativeCost)} cost`,
    });
  }
  const net = (c: (typeof candidates)[number], frac: number) =>
    staticLargeUsdMonth * frac - c.extraActions * ev.costPerAction * requestsPerMonth;
  candidates.sort((a, b) => net(b, 1 - b.fig.relativeCost) - net(a, 1 - a.fig.relativeCost));
  const best = candidates[0] ?? null;
  const bestNet = best ? net(best, 1 - best.fig.relativeCost) : null;
  const bestNetLow = best ? net(best, best.fig.savingsInterval[0]) : null;
  const perMTok = (x: number | null) => (x === null || monthlyTokens <= 0 ? null : (x / monthlyTokens) * 1e6);
  const routedSavingPerMTokUsd = perMTok(bestNet);
  const routerShare = opts.routerCostUsdMonth !== undefined ? opts.routerCostUsdMonth * tokenShare : null;
  const breakEven = (perM: number | null) =>
    opts.routerCostUsdMonth === undefined || perM === null
      ? null
      : perM <= 0
        ? Infinity
        : (opts.routerCostUsdMonth / perM) * 1e6;
  const breakEvenTokensMonth = breakEven(routedSavingPerMTokUsd);
  const breakEvenTokensMonthHigh = breakEven(perMTok(bestNetLow));
  const verdict: TaskAdvice['spend']['verdict'] =
    best === null || (bestNet !== null && bestNet <= 0)
      ? 'never'
      : breakEvenTokensMonth !== null
        ? opts.monthlyTokens >= (breakEvenTokensMonthHigh ?? breakEvenTokensMonth)
          ? 'above'
          : opts.monthlyTokens >= breakEvenTokensMonth
            ? 'within-band'
            : 'below'
        : opts.monthlyTokens >= band[1]
          ? 'above'
          : opts.monthlyTokens >= band[0]
            ? 'within-band'
            : 'below';
  const spendNote =
    `${fmtTokens(opts.monthlyTokens)} tokens/month in all, ${fmtTokens(monthlyTokens)} of them this task's (${pct(tokenShare)} of the sample's tokens): ` +
    `${usd(staticLargeUsdMonth)}/month all on ${large}, ${usd(staticSmallUsdMonth)} all on ${small}; ` +
    (verdict === 'never'
      ? 'no routed policy saves money here, at any volume'
      : breakEvenTokensMonth !== null
        ? `break-even ${fmtTokens(breakEvenTokensMonth)}${breakEvenTokensMonthHigh !== null && breakEvenTokensMonthHigh !== breakEvenTokensMonth ? `-${fmtTokens(breakEvenTokensMonthHigh)}` : ''} tokens/month for a router costing ${usd(opts.routerCostUsdMonth!)}/month (saving ${usd(routedSavingPerMTokUsd!)} per million tokens): ${verdict}`
        : `against the field report's break-even band of ${fmtTokens(band[0])}-${fmtTokens(band[1])} tokens/month: ${verdict}`);

  // The recommendation, in the decision tree's order.
  const warnings: string[] = [];
  if (lt?.routerBottleneck)
    warnings.push(`the router became the bottleneck under load (${latency.note}): fix that before routing`);
  const cheapStatic = smallKeeps ? small : large;
  let rec: TaskAdvice['recommendation'];
  const staticSaving = (
    model: string,
    figures: PolicyFigures | null = model === staticAlternative?.model ? staticAlternative.figures : null,
  ) => {
    if (!figures) return { monthlySavingUsd: 0, monthlySavingInterval: [0, 0] as [number, number] };
    return {
      monthlySavingUsd: staticLargeUsdMonth * (1 - figures.relativeCost),
      monthlySavingInterval: [
        staticLargeUsdMonth * figures.savingsInterval[0],
        staticLargeUsdMonth * figures.savingsInterval[1],
      ] as [number, number],
    };
  };
  if (staticAlternative !== null) {
    // The guarantee's own answer: one cheaper model alone is the cheapest policy it accepts.
    const alt = staticAlternative;
    const cascadeCost = fit!.selection.tested
      .filter((t) => t.accepted && t.ladder.length > 1)
      .reduce((m, t) => Math.min(m, t.test.relativeCost), Infinity);
    rec = {
      kind: 'static-small',
      model: alt.model,
      reason:
        `${alt.model} alone keeps ${pct(alt.figures.relativeQuality)} of ${large}'s quality on held-out rows (guaranteed >= ${pct(opts.target)} with ${pct(routeConfidence)} confidence, exact bound ${pct(alt.figures.lowerBound)}) ` +
        `at ${pct(alt.figures.relativeCost)} of its cost${Number.isFinite(cascadeCost) ? `, less than the best cascade's ${pct(cascadeCost)}` : ''}: no router, serve ${alt.model} statically`,
      ...staticSaving(alt.model, alt.figures),
      warnings,
    };
  } else if (!labelledOk) {
    rec =
      verdict === 'below'
        ? {
            kind: 'static-large',
            model: large,
            reason: `below break-even and no labels: pick ${large} statically`,
            monthlySavingUsd: 0,
            monthlySavingInterval: [0, 0],
            warnings,
          }
        : {
            kind: 'rules-route',
            model: null,
            reason: `no labelled quality data: a rules route as a placeholder${schema ? ' (the schema as the rule: direct-small)' : ' (rules-v1, uncalibrated threshold)'} while labels are collected; savings unknown until then`,
            monthlySavingUsd: null,
            monthlySavingInterval: null,
            warnings,
          };
  } else if (best === null || verdict === 'never') {
    rec = {
      kind: 'static-large',
      model: large,
      reason:
        fit && !cascadeSaves
          ? `no routing policy saves money at ${pct(opts.target)} quality with ${pct(opts.confidence)} confidence (${fit.artefact.recommendation.reason}): route everything to ${large}`
          : `routing does not pay after its orchestration cost: route everything to ${large}`,
      monthlySavingUsd: 0,
      monthlySavingInterval: [0, 0],
      warnings,
    };
  } else if (verdict === 'below') {
    rec = {
      kind: cheapStatic === small ? 'static-small' : 'static-large',
      model: cheapStatic,
      reason:
        breakEvenTokensMonth !== null
          ? `below break-even: at ${fmtTokens(opts.monthlyTokens)} tokens/month the best routed policy saves ${usd(bestNet!)}/month, less than the router's ${usd(routerShare!)} share of its fixed cost (break-even ${fmtTokens(breakEvenTokensMonth)} tokens/month); pick ${cheapStatic} statically`
          : `below the field report's break-even band (${fmtTokens(opts.monthlyTokens)} < ${fmtTokens(band[0])} tokens/month): pick ${cheapStatic} statically`,
      ...staticSaving(cheapStatic),
      warnings,
    };
  } else {
    const fixed = routerShare ?? 0;
    const bestModelLatency =
      lt !== null &&
      !lt.routerBottleneck &&
      lt.saturationRate !== null &&
      best.kind === 'calibrated-cascade' &&
      smallAlone !== null &&
      smallAlone.relativeQuality >= opts.target;
    rec = {
      kind: bestModelLatency ? 'latency-budget' : best.kind,
      model: null,
      reason: bestModelLatency
        ? `${best.reason}; and under load the model endpoints (not the router) saturate at ${lt!.saturationRate} req/s while ${small} alone matches on average (${pct(smallAlone!.relativeQuality)}): dispatch by queue depth within a latency budget`
        : best.reason,
      monthlySavingUsd: bestNet! - fixed,
      monthlySavingInterval: [
        net(best, best.fig.savingsInterval[0]) - fixed,
        net(best, best.fig.savingsInterval[1]) - fixed,
      ],
      warnings:
        verdict === 'within-band'
          ? [...warnings, 'volume is within the break-even band: the saving is marginal']
          : warnings,
    };
  }

  return {
    task: ev.task,
    source: `${ev.source}: ${ev.from.join(', ')}`,
    requests: ev.requests,
    small,
    large,
    models: ev.models,
    spend: {
      tokenShare,
      monthlyTokens,
      requestsPerMonth,
      tokensPerRequest,
      staticLargeUsdMonth,
      staticSmallUsdMonth,
      extraActionsPerRequest: best?.extraActions ?? null,
      orchestrationExtraUsdMonth: best ? best.extraActions * ev.costPerAction * requestsPerMonth : null,
      routerCostShareUsdMonth: routerShare,
      routedSavingPerMTokUsd,
      breakEvenTokensMonth,
      breakEvenTokensMonthHigh,
      breakEvenBand: band,
      verdict,
      note: spendNote,
    },
    labelled: {
      rows: rows.length,
      labelSource: ev.labelSource,
      clearsTarget: cascadeSaves,
      chosen: chosenFig,
      pointEstimate,
      smallAlone,
      enough,
      note: labelledNote,
    },
    bimodality: {
      smallAsGood,
      smallFails,
      bothWrong,
      borderline,
      confidenceAuc,
      agreementWithLarge: smallM.agreementWithLarge,
      verdict: bimodalVerdict,
      note: bimodalNote,
    },
    structural: {
      schema,
      validity: ev.models.map((m) => ({ model: m.model, rate: m.schemaValidRate })),
      directSmall,
      note: structuralNote,
    },
    latency,
    recommendation: rec,
    fit,
  };
}

/** Every task of the evidence, the monthly tokens split by each task's share of the sample's tokens. */
export function advise(evidence: readonly TaskEvidence[], opts: AdviseOptions): TaskAdvice[] {
  const weight = evidence.map((e) => e.requests * e.tokensPerRequest);
  const total = weight.reduce((a, b) => a + b, 0) || 1;
  return evidence.map((e, i) => adviseTask(e, opts, weight[i]! / total));
}

export const pct = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(d)}%`;
const pp = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} points` : '-');
export const num = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);
export const ms = (x: number | null | undefined) =>
  x === null || x === undefined ? '-' : `${x.toFixed(0)} ms`;
export function usd(x: number): string {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  return `${x < 0 ? '-' : ''}$${a >= 100 ? a.toFixed(0) : a >= 1 ? a.toFixed(2) : a.toPrecision(2)}`;
}
export function fmtTokens(x: number): string {
  if (!Number.isFinite(x)) return 'never';
  return x >= 1e9
    ? `${(x / 1e9).toFixed(2)}B`
    : x >= 1e6
      ? `${(x / 1e6).toFixed(2)}M`
      : x >= 1e3
        ? `${(x / 1e3).toFixed(1)}k`
        : x.toFixed(0);
}
