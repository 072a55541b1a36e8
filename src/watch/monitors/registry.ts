/**
 * Every monitor's parts, in the report page's order: the one list the HTML report draws its
 * charts from and the Prometheus gauges are made from. A new monitor is a folder of its own
 * (compute.ts, parts.ts with its gauges and charts) and a line here; compute-report.ts puts its
 * section and alerts into the report (docs/architecture.md, "A newcomer's path").
 */
import { costLayersParts } from './cost-layers/parts';
import { driftInputParts } from './drift-input/parts';
import { driftOutcomeParts } from './drift-outcome/parts';
import { escalationParts } from './escalation/parts';
import { netSavingsParts } from './net-savings/parts';
import type { ChartSpec, GaugeSpec, MonitorParts } from './parts';
import { qualityParts } from './quality/parts';
import { retriesParts } from './retries/parts';
import { routerCostParts } from './router-cost/parts';

export const MONITOR_PARTS: readonly MonitorParts[] = [
  costLayersParts,
  escalationParts,
  qualityParts,
  retriesParts,
  routerCostParts,
  netSavingsParts,
  driftInputParts,
  driftOutcomeParts,
];

export const MONITOR_GAUGES: readonly GaugeSpec[] = MONITOR_PARTS.flatMap((m) => m.gauges);
export const MONITOR_CHARTS: readonly ChartSpec[] = MONITOR_PARTS.flatMap((m) => m.charts);
