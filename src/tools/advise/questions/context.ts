/** What every question reads of one task: its evidence, the options with their defaults, and the confidence a route is held at. */
import type { LabelledRow } from '../../calibrate/fit';
import type { ModelEvidence, TaskEvidence } from '../evidence';
import { type AdviseOptions, DEFAULT_BREAK_EVEN_BAND } from '../types';

export interface TaskContext {
  ev: TaskEvidence;
  opts: AdviseOptions;
  small: string;
  large: string;
  smallM: ModelEvidence;
  largeM: ModelEvidence;
  /** The rows labelled for both small and large. */
  rows: LabelledRow[];
  seed: number;
  resamples: number;
  band: [number, number];
  /** A response schema is configured: direct-small is a second route. */
  schema: boolean;
  /**
   * The confidence each route is held at: with a schema, direct-small is weighed beside the
   * calibrated route, so each is held at half the error (Bonferroni) and the one recommended keeps
   * the stated confidence.
   */
  routeConfidence: number;
}

export function taskContext(ev: TaskEvidence, opts: AdviseOptions): TaskContext {
  const schema = ev.responseSchema !== null;
  const delta = 1 - opts.confidence;
  return {
    ev,
    opts,
    small: ev.small,
    large: ev.large,
    smallM: ev.models.find((m) => m.model === ev.small)!,
    largeM: ev.models.find((m) => m.model === ev.large)!,
    rows: ev.labelled,
    seed: opts.seed ?? 1,
    resamples: opts.resamples ?? 1000,
    band: opts.breakEvenBand ?? DEFAULT_BREAK_EVEN_BAND,
    schema,
    routeConfidence: schema ? 1 - delta / 2 : opts.confidence,
  };
}

/** The options of a fixed rule's figures (src/tools/advise/fixed-rule.ts) at the route's confidence. */
export const ruleOptions = (c: TaskContext) => ({
  confidence: c.routeConfidence,
  resamples: c.resamples,
  seed: c.seed,
});
