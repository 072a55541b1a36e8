/** The router-cost monitor's gauge (registry.ts); its figures are drawn in the cost-layers chart. */
import { present, type MonitorParts } from '../parts';

export const routerCostParts: MonitorParts = {
  name: 'router-cost',
  monitors: ['router_cost'],
  gauges: [
    {
      name: 'cascade_monitor_router_cost_fraction',
      help: 'Router cost as a fraction of gross savings',
      labelNames: [],
      samples: (r) =>
        present(
          [r.costs],
          () => ({}),
          (c) => c.routerCostFraction,
        ),
    },
  ],
  charts: [],
};
