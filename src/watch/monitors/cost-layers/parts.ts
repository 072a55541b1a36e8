/** The cost layers' gauge and chart (registry.ts): what the router-cost and net-savings monitors judge. */
import type { Report } from '../types';
import type { MonitorParts } from '../parts';
import { costChart } from './chart';

function layers(c: Report['costs']): Record<string, number> {
  return {
    baseline: c.baselineCostUsd,
    model: c.modelCostUsd,
    wasted: c.wastedCostUsd,
    self_check: c.router.selfCheckUsd,
    orchestration: c.router.orchestrationUsd,
    decision: c.router.decisionUsd,
    router: c.router.totalUsd,
    retries: c.retryCostUsd,
    gross_savings: c.grossSavingsUsd,
    net_savings: c.netSavingsUsd,
  };
}

export const costLayersParts: MonitorParts = {
  name: 'cost-layers',
  monitors: [],
  gauges: [
    {
      name: 'cascade_monitor_usd',
      help: 'Cost layers and savings over the window, USD',
      labelNames: ['layer'],
      samples: (r) => Object.entries(layers(r.costs)).map(([layer, value]) => ({ labels: { layer }, value })),
    },
  ],
  charts: [{ name: 'cost', draw: costChart }],
};
