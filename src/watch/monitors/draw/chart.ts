import type { Report } from '../types';
/** What every chart builder returns: html.ts wraps it in a <figure data-chart>. */
export interface Chart {
  /** `data-chart` of the figure: stable, used by tests and by people linking to it. */
  name: string;
  title: string;
  /** What the chart shows and how to read it (plain text; escaped by the page). */
  caption: string;
  /** The <svg> markup (an "no data" panel when empty). */
  svg: string;
  /** Why there is nothing to draw; set exactly when the chart is empty. */
  empty: string | null;
}

/** The width all charts are drawn at (the viewBox; the page scales them down on narrow screens). */
export const CHART_WIDTH = 960;

/** The decimals a tick step needs to tell its ticks apart (0.25 -> 2, 5 -> 0). */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  const s = String(+step.toPrecision(6));
  if (s.includes('e-')) return Math.min(8, Number(s.split('e-')[1]) + 1);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(8, s.length - dot - 1);
}

/** Money for axis ticks: as few decimals as the tick step needs. */
export function moneyTick(step: number): (v: number) => string {
  const d = stepDecimals(step);
  return (v) => `${v < 0 ? '-' : ''}$${Math.abs(v).toFixed(d)}`;
}

/** Percent for axis ticks: as few decimals as the tick step needs. */
export function pctTick(step: number): (v: number) => string {
  const d = stepDecimals(step * 100);
  return (v) => `${(v * 100).toFixed(d)}%`;
}

/** At most this many rows in a drift panel (the most drifted first). */
export const MAX_DRIFT_ROWS = 16;

/** Why a drift panel is empty when there is nothing to compare against, else null. */
export function noReference(report: Pick<Report, 'reference'>): string | null {
  return report.reference === null ? 'no reference window or calibration snapshot to compare against' : null;
}
