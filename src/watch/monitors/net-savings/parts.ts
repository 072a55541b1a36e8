/**
 * The net-savings monitor (registry.ts): its figure is the `net_savings` layer of the cost-layers
 * gauge and chart, so it adds none of its own.
 */
import type { MonitorParts } from '../parts';

export const netSavingsParts: MonitorParts = {
  name: 'net-savings',
  monitors: ['net_savings'],
  gauges: [],
  charts: [],
};
