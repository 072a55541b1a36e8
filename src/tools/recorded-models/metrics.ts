/**
 * The recorded-model server's Prometheus metrics (docs/architecture.md, "Contracts"). A private Registry, not
 * prom-client's global one: several servers (and the worker's own metrics) share one process in
 * tests, and each must expose only its own series.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { type ConcurrencyLimiter } from './limiter';

/**
 * The `status` label: the HTTP status code as a string ("200", "429", ...), or, when no response
 * was written, `reset` / `timeout` (injected faults) or `aborted` (the client left while queued
 * or waiting, or the server closed).
 */
export type RequestOutcome = string;

export interface RecordedMetrics {
  registry: Registry;
  countRequest(model: string, status: RequestOutcome): void;
}

/**
 * Queue depth and in-flight are read from the limiter at scrape time, for every servable model
 * (so an idle model shows 0 rather than no series) and every model the limiter has seen.
 */
export function createRecordedMetrics(
  limiter: ConcurrencyLimiter,
  servableModels: () => string[],
): RecordedMetrics {
  const registry = new Registry();
  const allModels = (): Set<string> => new Set([...servableModels(), ...limiter.models()]);

  const requests = new Counter({
    name: 'recorded_requests_total',
    help: 'Chat completion requests by model and outcome (HTTP status, or reset/timeout/aborted)',
    labelNames: ['model', 'status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'recorded_queue_depth',
    help: 'Requests waiting for a concurrency slot, per model',
    labelNames: ['model'] as const,
    registers: [registry],
    collect() {
      for (const model of allModels()) this.set({ model }, limiter.queueDepth(model));
    },
  });
  new Gauge({
    name: 'recorded_in_flight',
    help: 'Requests holding a concurrency slot (being answered), per model',
    labelNames: ['model'] as const,
    registers: [registry],
    collect() {
      for (const model of allModels()) this.set({ model }, limiter.inFlight(model));
    },
  });

  return {
    registry,
    countRequest: (model, status) => requests.inc({ model, status }),
  };
}
