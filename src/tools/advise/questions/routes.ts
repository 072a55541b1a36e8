/**
 * The routed policies the answers confirm (a calibrated cascade from (b), direct-small from (d)),
 * each with the Temporal actions it adds over a static request, and the best of them by its
 * monthly saving net of those actions: what (a)'s break-even and the recommendation weigh.
 */
import type { PolicyFigures, RecommendationKind } from '../types';
import { pct } from '../text';
import type { TaskContext } from './context';
import type { LabelledFindings } from './labelled';
import type { StructuralFindings } from './structural';
import type { Volume } from './volume';

export interface RoutedCandidate {
  kind: RecommendationKind;
  fig: PolicyFigures;
  /** Temporal actions a request adds over a static one. */
  extraActions: number;
  reason: string;
}

export interface BestRoute {
  candidate: RoutedCandidate;
  /** Monthly saving against the large model alone, less the added actions: at the point estimate, and at the savings interval's ends. */
  netUsdMonth: number;
  netIntervalUsdMonth: [number, number];
}

/** Confidence kinds that cost a second call (a self-check or a judge) on every request not skipped. */
const CHECKED_KINDS = ['self_check_log_p_yes', 'self_check', 'judge_score', 'judge'];

export function routedCandidates(
  c: TaskContext,
  l: LabelledFindings,
  s: StructuralFindings,
): RoutedCandidate[] {
  const { opts, rows, small, routeConfidence } = c;
  const kind = rows[0]?.outcomes[small]?.kind ?? null;
  const selfCheck = kind !== null && CHECKED_KINDS.includes(kind);
  const candidates: RoutedCandidate[] = [];
  const chosen = l.chosen;
  if (l.cascadeSaves && l.answer.chosen) {
    candidates.push({
      kind: 'calibrated-cascade',
      fig: l.answer.chosen,
      // classify + check markers, one more call when escalated, the self-check call when checked.
      extraActions: 2 + chosen!.escalationRate + (selfCheck ? 1 - chosen!.skipRate : 0),
      reason: `a calibrated cascade ${l.ladderText} keeps ${pct(chosen!.relativeQuality)} of the large model's quality on held-out rows (guaranteed >= ${pct(opts.target)} with ${pct(routeConfidence)} confidence, exact bound ${pct(chosen!.lowerBound)}) at ${pct(chosen!.relativeCost)} of its cost, escalating ${pct(chosen!.escalationRate)}`,
    });
  }
  if (s.directClears) {
    const directSmall = s.answer.directSmall!;
    const validFlags = c.ev.smallSchemaValid;
    candidates.push({
      kind: 'rules-route',
      fig: directSmall,
      extraActions:
        2 +
        (1 - directSmall.relativeCost > 0 ? rows.filter((_, i) => !validFlags[i]).length / rows.length : 0),
      reason: `the schema is the rule (direct-small): ${small}'s valid answers stand, invalid ones escalate; keeps ${pct(directSmall.relativeQuality)} (bound ${pct(directSmall.lowerBound)}) at ${pct(directSmall.relativeCost)} cost`,
    });
  }
  return candidates;
}

/** A route's monthly saving against the large model alone at a savings fraction, less the actions it adds. */
function netUsdMonth(r: RoutedCandidate, savingsFraction: number, v: Volume, costPerAction: number): number {
  return v.staticLargeUsdMonth * savingsFraction - r.extraActions * costPerAction * v.requestsPerMonth;
}

export function bestRoute(
  candidates: readonly RoutedCandidate[],
  v: Volume,
  costPerAction: number,
): BestRoute | null {
  const net = (r: RoutedCandidate, frac: number) => netUsdMonth(r, frac, v, costPerAction);
  const best = [...candidates].sort(
    (a, b) => net(b, 1 - b.fig.relativeCost) - net(a, 1 - a.fig.relativeCost),
  )[0];
  if (!best) return null;
  return {
    candidate: best,
    netUsdMonth: net(best, 1 - best.fig.relativeCost),
    netIntervalUsdMonth: [net(best, best.fig.savingsInterval[0]), net(best, best.fig.savingsInterval[1])],
  };
}
