/**
 * router_cost: what the router itself costs (confidence checks, orchestration, decision compute)
 * against what routing saves on model prices. "If you're saving 0.01 on classifier overhead per
 * route, your gross savings are 50% of what you think they are": this is that fraction.
 *
 * Alert, when routing is active (some served request was routed) over at least `minRequests`
 * served requests: routerCostFraction > `maxFraction` (warning), or gross savings <= 0: routing
 * saves nothing on price, so any router cost is a loss (critical).
 */
import type { MonitorsConfig } from '../../../request/config/monitors-schema';
import { pct, usd } from '../report-data';
import type { Alert, CostLayers } from '../types';

const ADVICE: Record<'self_check' | 'orchestration' | 'decision', string> = {
  self_check:
    'confidence checks cost the most: use a logprob confidence source where the provider has one, or a cheaper check model',
  orchestration:
    'orchestration costs the most: fewer Temporal actions per request (cheaper ladder, fewer checks) or a lower price per action',
  decision:
    'decision compute costs the most: a cheaper pre-route classifier (fewer features) or the structural rules',
};

export function routerCostMonitor(
  costs: CostLayers,
  served: number,
  routingActive: boolean,
  config: MonitorsConfig,
): Alert[] {
  if (!routingActive || served < config.minRequests) return [];
  const r = costs.router;
  const largest = (['self_check', 'orchestration', 'decision'] as const).reduce((a, b) =>
    layerOf(r, b) > layerOf(r, a) ? b : a,
  );
  const evidence: Alert['evidence'] = {
    requests: served,
    grossSavingsUsd: costs.grossSavingsUsd,
    routerCostUsd: r.totalUsd,
    selfCheckUsd: r.selfCheckUsd,
    orchestrationUsd: r.orchestrationUsd,
    decisionUsd: r.decisionUsd,
    routerCostFraction: costs.routerCostFraction,
    largestRouterLayer: largest,
  };
  const layers = `self-checks ${usd(r.selfCheckUsd)}, orchestration ${usd(r.orchestrationUsd)}, decision ${usd(r.decisionUsd)}`;
  if (costs.grossSavingsUsd <= 0) {
    return [
      {
        monitor: 'router_cost',
        key: 'router',
        severity: 'critical',
        message: `routing saved nothing on model prices (gross ${usd(costs.grossSavingsUsd)} over ${served} requests) while the router cost ${usd(r.totalUsd)} (${layers})`,
        value: costs.grossSavingsUsd,
        threshold: 0,
        evidence,
        recommendation:
          'the small path is not saving: check the escalation rate and wasted cost, or route these tasks statically (route: static)',
      },
    ];
  }
  const fraction = costs.routerCostFraction!;
  if (fraction <= config.routerCost.maxFraction) return [];
  return [
    {
      monitor: 'router_cost',
      key: 'router',
      severity: fraction >= 1 ? 'critical' : 'warning',
      message: `router cost ${usd(r.totalUsd)} is ${pct(fraction)} of gross savings ${usd(costs.grossSavingsUsd)} (max ${pct(config.routerCost.maxFraction)}): ${layers}`,
      value: fraction,
      threshold: config.routerCost.maxFraction,
      evidence,
      recommendation: ADVICE[largest],
    },
  ];
}

function layerOf(r: CostLayers['router'], layer: 'self_check' | 'orchestration' | 'decision'): number {
  return layer === 'self_check'
    ? r.selfCheckUsd
    : layer === 'orchestration'
      ? r.orchestrationUsd
      : r.decisionUsd;
}
