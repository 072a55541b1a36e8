/**
 * The cost layers of the field report ("classifier cost as a fraction of savings"), summed over
 * the window's served requests (shadow children apart: what shadow mode costs is not routing's
 * bill), and the time series of the same figures per sub-window.
 *
 * - model cost: every call billed (costUsd of the rows: answers, self-checks, failed attempts);
 * - wasted: small-model answers thrown away by an escalation;
 * - router: self-checks and judge calls (the confidence checks, from the attempt purposes),
 *   orchestration (Temporal actions, priced), decision compute (decisionMs × cpuHourUsd / 3.6e6);
 * - retries: the cost of user retries linked to the window's requests (all of them; the share
 *   routing caused is the retry monitor's extra cost);
 * - gross = baseline - (model - self-checks): what the price delta saved before router costs;
 * - net = baseline - model - orchestration - decision (self-checks are in the model cost).
 *
 * dominantLoss, when net < 0: `no_savings` when the answers served cost no less than the
 * baseline would have (baseline - (model - checks - wasted) <= 0: there was nothing for the
 * router to protect, e.g. every request escalated to the baseline model), else the largest of
 * wasted, self-checks, orchestration, decision compute and the retries routing caused.
 */
import type { RequestRow } from '../../../request/ledger/types';
import { bucketIndex, type Buckets, type WindowView } from '../report-data';
import type { CostLayers, SeriesPoint } from '../types';

export interface LayerSums {
  requests: number;
  escalated: number;
  baselineCostUsd: number;
  modelCostUsd: number;
  wastedCostUsd: number;
  selfCheckUsd: number;
  orchestrationUsd: number;
  decisionUsd: number;
}

export function decisionCostUsd(decisionMs: number | null, cpuHourUsd: number): number {
  return ((decisionMs ?? 0) * cpuHourUsd) / 3.6e6;
}

export function sumLayers(
  rows: RequestRow[],
  checkCostUsd: Map<string, number>,
  cpuHourUsd: number,
): LayerSums {
  const s: LayerSums = {
    requests: 0,
    escalated: 0,
    baselineCostUsd: 0,
    modelCostUsd: 0,
    wastedCostUsd: 0,
    selfCheckUsd: 0,
    orchestrationUsd: 0,
    decisionUsd: 0,
  };
  for (const r of rows) {
    s.requests += 1;
    if (r.escalated) s.escalated += 1;
    s.baselineCostUsd += r.baselineCostUsd;
    s.modelCostUsd += r.costUsd;
    s.wastedCostUsd += r.wastedCostUsd;
    s.selfCheckUsd += checkCostUsd.get(r.id) ?? 0;
    s.orchestrationUsd += r.orchestrationCostUsd;
    s.decisionUsd += decisionCostUsd(r.decisionMs, cpuHourUsd);
  }
  return s;
}

export function costLayers(
  current: WindowView,
  cpuHourUsd: number,
  retries: { retryCostUsd: number; extraRetryCostUsd: number },
): CostLayers {
  const s = sumLayers(current.served, current.checkCostUsd, cpuHourUsd);
  const routerTotal = s.selfCheckUsd + s.orchestrationUsd + s.decisionUsd;
  const gross = s.baselineCostUsd - (s.modelCostUsd - s.selfCheckUsd);
  const net = s.baselineCostUsd - s.modelCostUsd - s.orchestrationUsd - s.decisionUsd;
  return {
    baselineCostUsd: s.baselineCostUsd,
    modelCostUsd: s.modelCostUsd,
    wastedCostUsd: s.wastedCostUsd,
    estimated: estimatedOf(current),
    router: {
      selfCheckUsd: s.selfCheckUsd,
      orchestrationUsd: s.orchestrationUsd,
      decisionUsd: s.decisionUsd,
      totalUsd: routerTotal,
    },
    retryCostUsd: retries.retryCostUsd,
    grossSavingsUsd: gross,
    netSavingsUsd: net,
    routerCostFraction: gross > 0 ? routerTotal / gross : null,
    dominantLoss: net < 0 ? dominantLoss(s, retries.extraRetryCostUsd) : null,
  };
}

/** The served requests' estimated attempts (shadow children apart, as every layer here). */
function estimatedOf(current: WindowView): CostLayers['estimated'] {
  const served = new Set(current.served.map((r) => r.id));
  let attempts = 0;
  let costUsd = 0;
  for (const c of current.calls) {
    if (!served.has(c.requestId)) continue;
    attempts += c.estimatedAttempts;
    costUsd += c.estimatedCostUsd;
  }
  return { attempts, costUsd };
}

function dominantLoss(s: LayerSums, extraRetryCostUsd: number): NonNullable<CostLayers['dominantLoss']> {
  // What the served answers saved on price alone; the tolerance absorbs float noise of sums.
  const servedSavings = s.baselineCostUsd - (s.modelCostUsd - s.selfCheckUsd - s.wastedCostUsd);
  if (servedSavings <= 1e-9 * Math.max(1, s.baselineCostUsd)) return 'no_savings';
  const losses: [NonNullable<CostLayers['dominantLoss']>, number][] = [
    ['wasted', s.wastedCostUsd],
    ['self_check', s.selfCheckUsd],
    ['orchestration', s.orchestrationUsd],
    ['decision', s.decisionUsd],
    ['retries', extraRetryCostUsd],
  ];
  return losses.reduce((best, l) => (l[1] > best[1] ? l : best))[0];
}

/** Per sub-window (oldest first): requests, escalations, cost, baseline, router cost, net savings. */
export function costSeries(current: WindowView, buckets: Buckets, cpuHourUsd: number): SeriesPoint[] {
  const per: RequestRow[][] = Array.from({ length: buckets.count }, () => []);
  for (const r of current.served) per[bucketIndex(buckets, r.startedAt)]!.push(r);
  return per.map((rows, i) => {
    const s = sumLayers(rows, current.checkCostUsd, cpuHourUsd);
    return {
      at: buckets.from + i * buckets.bucketMs,
      requests: s.requests,
      escalated: s.escalated,
      costUsd: s.modelCostUsd,
      baselineCostUsd: s.baselineCostUsd,
      routerCostUsd: s.selfCheckUsd + s.orchestrationUsd + s.decisionUsd,
      netSavingsUsd: s.baselineCostUsd - s.modelCostUsd - s.orchestrationUsd - s.decisionUsd,
    };
  });
}
