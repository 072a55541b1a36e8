/**
 * The worker's own view of each model endpoint, for latency-budget dispatch: how many calls this
 * process has in flight to it (queued at the endpoint or being served), and a rolling window of
 * recent successful call latencies (their median is the service-time estimate) and output
 * token counts. Process-local by design: it is one of three signals, beside the cluster-wide
 * Temporal backlog and the endpoint's own metrics; the endpoint-snapshot local activity reads it
 * and so puts it on the record.
 *
 * The model call is instrumented by wrapping the worker's provider factory
 * (`withEndpointStats`), so src/temporal/activities/call-model.ts needs no change.
 */
import type { ModelCallRequest, ModelCallResult, ModelProvider } from '../../request/providers/types';

export interface EndpointReading {
  inFlight: number;
  /** Median latency of the recent successful calls; null before the first. */
  medianLatencyMs: number | null;
  /** Median output tokens of the same calls; null before the first. */
  medianTokensOut: number | null;
  samples: number;
}

interface ModelStats {
  inFlight: number;
  latencies: number[];
  tokensOut: number[];
}

export const DEFAULT_WINDOW = 20;

export class EndpointStats {
  private readonly models = new Map<string, ModelStats>();

  constructor(private readonly window = DEFAULT_WINDOW) {
    if (!Number.isInteger(window) || window < 1)
      throw new Error(`window must be a positive integer, got ${window}`);
  }

  private stats(model: string): ModelStats {
    let s = this.models.get(model);
    if (!s) {
      s = { inFlight: 0, latencies: [], tokensOut: [] };
      this.models.set(model, s);
    }
    return s;
  }

  /**
   * A call to the model starts: it counts as in flight until the returned function is called
   * (exactly once; later calls are ignored). A successful call's latency and output tokens join
   * the rolling window; a failure's do not (a fast 429 says nothing about service time).
   */
  begin(
    model: string,
  ): (outcome: { ok: true; latencyMs: number; tokensOut: number } | { ok: false }) => void {
    const s = this.stats(model);
    s.inFlight++;
    let done = false;
    return (outcome) => {
      if (done) return;
      done = true;
      s.inFlight--;
      if (outcome.ok && Number.isFinite(outcome.latencyMs) && outcome.latencyMs >= 0) {
        push(s.latencies, outcome.latencyMs, this.window);
        push(s.tokensOut, Math.max(0, outcome.tokensOut), this.window);
      }
    };
  }

  reading(model: string): EndpointReading {
    const s = this.models.get(model);
    return {
      inFlight: s?.inFlight ?? 0,
      medianLatencyMs: s ? median(s.latencies) : null,
      medianTokensOut: s ? median(s.tokensOut) : null,
      samples: s?.latencies.length ?? 0,
    };
  }

  /** Forget a model's history (or every model's); in-flight counts of running calls stay. */
  reset(model?: string): void {
    for (const [id, s] of this.models) {
      if (model !== undefined && id !== model) continue;
      s.latencies.length = 0;
      s.tokensOut.length = 0;
    }
  }
}

function push(xs: number[], x: number, window: number): void {
  xs.push(x);
  if (xs.length > window) xs.shift();
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The worker process's registry (what the endpoint snapshot reads by default). */
export const endpointStats = new EndpointStats();

/**
 * A provider factory whose providers report every call to `stats`: in flight while it runs,
 * then its latency (the provider's own measure) and output tokens when it succeeds.
 */
export function withEndpointStats(
  provider: (modelId: string) => ModelProvider,
  stats: EndpointStats = endpointStats,
): (modelId: string) => ModelProvider {
  const wrapped = new WeakMap<ModelProvider, ModelProvider>();
  return (modelId) => {
    const inner = provider(modelId);
    let p = wrapped.get(inner);
    if (!p) {
      p = {
        async call(request: ModelCallRequest): Promise<ModelCallResult> {
          const end = stats.begin(modelId);
          try {
            const result = await inner.call(request);
            end({ ok: true, latencyMs: result.latencyMs, tokensOut: result.usage.tokensOut });
            return result;
          } catch (err) {
            end({ ok: false });
            throw err;
          }
        },
      };
      wrapped.set(inner, p);
    }
    return p;
  };
}
