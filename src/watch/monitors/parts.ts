/**
 * What a monitor shows besides its report section: its Prometheus gauges and its charts. Data and
 * pure functions of the stored report only: src/watch/telemetry builds prom-client gauges from the
 * specs, src/watch/report puts the charts on the page, each from the one registry (registry.ts),
 * so a monitor's parts live in its own folder (docs/architecture.md, "A newcomer's path").
 */
import type { Chart } from './draw/chart';
import type { MonitorName, Report } from './types';

/** One sample of a gauge: its labels and value. */
export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/** A gauge (`cascade_monitor_*`) read from the latest stored report at scrape time. */
export interface GaugeSpec {
  name: string;
  help: string;
  labelNames: readonly string[];
  /** Its samples in a report; a statistic that is null in the report has none. */
  samples(report: Report): GaugeSample[];
}

/** A chart of the HTML report: `name` is its figure's `data-chart`. */
export interface ChartSpec {
  name: string;
  draw(report: Report): Chart;
}

/** A monitor's folder: the gauges it publishes and the charts it draws, in page order. */
export interface MonitorParts {
  /** The folder's name. */
  name: string;
  /** The monitors (alert sources, types.ts `MONITORS`) it computes; none for shared figures. */
  monitors: readonly MonitorName[];
  gauges: readonly GaugeSpec[];
  charts: readonly ChartSpec[];
}

/** The samples of the values that are not null. */
export function present<T>(
  rows: readonly T[],
  labels: (row: T) => Record<string, string>,
  value: (row: T) => number | null | undefined,
): GaugeSample[] {
  const out: GaugeSample[] = [];
  for (const row of rows) {
    const v = value(row);
    if (v !== null && v !== undefined) out.push({ labels: labels(row), value: v });
  }
  return out;
}
