/**
 * What `cascade advise` takes and gives per task: its options and the advice (the five questions'
 * answers and the recommendation). In a file of their own so that the questions
 * (src/tools/advise/questions/) and the recommendation can import them without importing analyse.ts,
 * which imports them (dependency-cruiser refuses circles).
 */
import type { FitResult } from '../calibrate/fit';
import type { LoadtestResult } from '../loadtest/types';
import type { ModelEvidence } from './evidence';

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
