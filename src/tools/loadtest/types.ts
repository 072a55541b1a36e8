/** The result document `cascade loadtest --json` prints and `cascade advise --loadtest` reads. */

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface LoadtestWindow {
  /** Seconds since the step started (window start). */
  t: number;
  offered: number;
  completed: number;
  errors: number;
  /** Completions per second in the window. */
  throughput: number;
  e2eP95Ms: number | null;
  decisionP95Ms: number | null;
  addedP95Ms: number | null;
  modelP95Ms: number | null;
}

export interface LoadtestStep {
  /** Target arrivals per second (open loop). */
  offeredRate: number;
  /** Arrivals actually sent / the arrival phase's length. */
  sentRate: number;
  durationMs: number;
  requests: number;
  completed: number;
  errors: number;
  errorSamples: string[];
  /** Completions per second over the whole step (arrival phase + drain). */
  throughput: number;
  e2eMs: Percentiles;
  /** trace.decision.decisionMs (null on the static route, which decides nothing). */
  decisionMs: Percentiles;
  /** Sum of the model call attempts' latencies of a request. */
  modelMs: Percentiles;
  /** End-to-end minus model time: decision, orchestration, queueing in Temporal and the worker. */
  addedMs: Percentiles;
  windows: LoadtestWindow[];
  /** Throughput fell below 90% of the offered rate, or added p95 passed the bound. */
  saturated: boolean;
  saturationReasons: string[];
  /** Added time grew while model time did not: the router/orchestration is what queues. */
  routerBottleneck: boolean;
  /** Median share of end-to-end time that is added (not model) time. */
  addedShare: number | null;
}

export interface LoadtestResult {
  kind: 'cascade-loadtest';
  format: 1;
  startedAt: string;
  via: 'client' | 'gateway';
  target: string;
  sample: { file: string; rows: number; tasks: Record<string, number> };
  /** The stated peak and multiplier when given (`--peak R --multiplier 2`). */
  peak: number | null;
  multiplier: number | null;
  /** The bound on added p95 that counts as saturation (ms). */
  addedBoundMs: number;
  steps: LoadtestStep[];
  /** The lowest offered rate that saturated, null when none did. */
  saturationRate: number | null;
  /** The highest offered rate that did not. */
  sustainedRate: number | null;
  routerBottleneck: boolean;
  notes: string[];
}
