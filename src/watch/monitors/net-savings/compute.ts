/**
 * net_savings: is the router paying? Net savings = baseline - model cost - orchestration -
 * decision compute over the window's served requests (cost-layers.ts). Negative, with routing
 * active and at least `minRequests` served requests: a critical alert naming the layer that made
 * it so (dominantLoss), with every layer in the evidence.
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import { usd } from '../report-data';
import type { Alert, CostLayers } from '../types';

const ADVICE: Record<NonNullable<CostLayers['dominantLoss']>, string> = {
  wasted:
    'small answers thrown away by escalations cost the most: let the pre-route classifier skip the small rung for hard requests (recalibrate), or route statically',
  self_check: 'confidence checks cost the most: a logprob confidence source or a cheaper check model',
  orchestration:
    'orchestration costs more than routing saves: fewer Temporal actions per request or a lower price per action, else route statically',
  decision: 'decision compute costs the most: a cheaper pre-route classifier',
  retries:
    'user retries of small-path answers cost the most: raise the small rung threshold (see retry_amplification)',
  no_savings:
    'the answers served cost no less than the baseline would have (nearly everything escalates): route these tasks statically (route: static) or recalibrate',
};

export function netSavingsMonitor(
  costs: CostLayers,
  served: number,
  routingActive: boolean,
  config: MonitorsConfig,
): Alert[] {
  if (
    !routingActive ||
    served < config.minRequests ||
    costs.netSavingsUsd >= 0 ||
    costs.dominantLoss === null
  ) {
    return [];
  }
  const loss = costs.dominantLoss;
  return [
    {
      monitor: 'net_savings',
      key: 'net',
      severity: 'critical',
      message:
        `routing lost ${usd(-costs.netSavingsUsd)} over ${served} requests (baseline ${usd(costs.baselineCostUsd)}, ` +
        `model ${usd(costs.modelCostUsd)}, orchestration ${usd(costs.router.orchestrationUsd)}, decision ${usd(costs.router.decisionUsd)}); ` +
        `dominant loss: ${loss}`,
      value: costs.netSavingsUsd,
      threshold: 0,
      evidence: {
        requests: served,
        dominantLoss: loss,
        netSavingsUsd: costs.netSavingsUsd,
        grossSavingsUsd: costs.grossSavingsUsd,
        baselineCostUsd: costs.baselineCostUsd,
        modelCostUsd: costs.modelCostUsd,
        wastedCostUsd: costs.wastedCostUsd,
        selfCheckUsd: costs.router.selfCheckUsd,
        orchestrationUsd: costs.router.orchestrationUsd,
        decisionUsd: costs.router.decisionUsd,
        retryCostUsd: costs.retryCostUsd,
      },
      recommendation: ADVICE[loss],
    },
  ];
}
