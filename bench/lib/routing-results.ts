/** What bench/routing measures: the methods it compares, and its result per set and method (`--json` prints them). */

export const LTT = 'ltt';
export const LTT2 = 'ltt-2rung';
export const BOUNDED = 'bounded';
export const PE = 'point-estimate';
export const METHODS = [LTT, LTT2, BOUNDED, PE];
export const marginMethod = (m: number) => `${PE}+${Number((m * 100).toFixed(2))}`;

export interface RouterFigures {
  apgr: number;
  cpt50: number;
  cpt80: number;
}

export interface BenchResult {
  set: string;
  /** The family (candidates), cheapest first; the last is the reference. */
  candidates: string[];
  twoRung: string[];
  method: string;
  margin?: number;
  target: number;
  confidence: number;
  calibrationRows: number;
  testRows: number;
  preRoute: boolean;
  repeats: {
    splits: number;
    held: number;
    meanRelativeQuality: number;
    meanRelativeCost: number;
    meanEscalationRate: number;
    meanSkipRate: number;
  };
  /** ltt methods: the ladders chosen (how often each), and the recommendations. */
  chosen?: Record<string, number>;
  /** RouteLLM-shaped sets: router metrics of the scores on the test part (means over splits). */
  router?: Record<string, RouterFigures>;
}
