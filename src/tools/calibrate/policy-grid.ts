/**
 * The candidate grid both policy searches walk: select.ts (the guarantee's) and search.ts (the
 * earlier one, the benchmark's reference). A policy is a threshold and a skip point per rung; the
 * thresholds and skip points are quantiles of the rows' values, and the grids shrink for long
 * ladders until the number of policies replayed fits the search's budget. One grid for both, so
 * the benchmark compares the two ways of choosing over the same candidates.
 */
import type { RungSkip } from '../../request/router/rung-decision';
import { quantileOf } from './bootstrap';

export interface PolicyChoice {
  thresholds: (number | null)[];
  skips: (RungSkip | null)[];
}

/** What a policy does on a set of rows, relative to the reference (largest) model alone. */
export interface PolicyFigures {
  relativeQuality: number;
  relativeCost: number;
  escalationRate: number;
  /** Share of requests on which at least one rung was skipped. */
  skipRate: number;
  accuracy: number;
  meanCostUsd: number;
}

/** The chosen policy's descriptive (percentile-bootstrap) intervals. */
export interface PolicyIntervals {
  relativeQuality: [number, number];
  relativeCost: [number, number];
  savings: [number, number];
  escalationRate: [number, number];
}

/** `count` quantiles of the values (linear interpolation), deduplicated, ascending. */
export function quantileGrid(values: readonly number[], count: number): number[] {
  if (values.length === 0 || count <= 0) return [];
  const sorted = [...values].sort((a, b) => a - b);
  const out = new Set<number>();
  for (let k = 0; k < count; k++) out.add(quantileOf(sorted, count === 1 ? 0 : k / (count - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Smaller grids (threshold quantiles, skip quantiles), tried in turn while the policies are too many. */
const SMALLER_GRIDS: readonly (readonly [number, number])[] = [
  [21, 4],
  [21, 2],
  [11, 2],
  [11, 1],
  [11, 0],
  [6, 0],
  [4, 0],
  [3, 0],
];

/**
 * The grid's size: `tq` threshold and `sq` skip quantiles per rung, shrunk step by step until
 * `combos(tq, sq)` policies fit `maxConfigs` (or the smallest grid is reached). The skip count
 * never grows: a search that starts without skip points stays without them.
 */
export function gridSize(
  tq: number,
  sq: number,
  combos: (tq: number, sq: number) => number,
  maxConfigs: number,
): { tq: number; sq: number } {
  for (const [t, s] of SMALLER_GRIDS) {
    if (combos(tq, sq) <= maxConfigs) break;
    tq = t;
    sq = Math.min(sq, s);
  }
  return { tq, sq };
}
