/**
 * One model served by several endpoints (its primary `baseUrl`, then its `failover` list), each
 * behind its own circuit breaker (circuit.ts). A call goes to the first endpoint whose circuit
 * lets it through, so while the primary's circuit is open the model's calls fail over to a
 * replica instead of escalating to a dearer model; when every circuit is open the call is not
 * made at all and fails with `endpoint_unavailable` (the workflow skips the rung).
 *
 * Still exactly one HTTP attempt per call: a failed call is reported as it is (with the index of
 * the endpoint it went to) and the workflow decides whether to retry, so every attempt stays its
 * own event in history. The failure moves that endpoint's circuit towards open; once it is open,
 * the next attempt goes to the next endpoint.
 *
 * Circuit state is per worker process (each worker learns from its own calls; nothing is shared
 * across workers and a restart starts every circuit closed).
 */
import { noCallFailure } from './no-call-failure';
import { type CircuitLogger, CircuitBreaker, type CircuitSettings, type CircuitSnapshot } from './circuit';
import {
  type ModelCallRequest,
  type ModelCallResult,
  type ModelProvider,
  ProviderError,
  type ProviderErrorDetails,
} from './types';

export interface PoolEndpoint {
  /** The client for this endpoint. */
  provider: ModelProvider;
  /** Its base URL: only the host is ever shown (log lines, messages). */
  baseUrl: string;
}

export interface EndpointPoolOptions {
  /** Clock of the circuits and of the "next probe" message (tests inject one). */
  now?: () => number;
  logger?: CircuitLogger;
}

export interface EndpointHealth extends CircuitSnapshot {
  endpoint: number;
  host: string;
}

/** The host of a URL (no userinfo, path or query), for log lines and messages. */
export function endpointHost(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return '(invalid url)';
  }
}

export class EndpointPool implements ModelProvider {
  private readonly circuits: CircuitBreaker[];
  private readonly hosts: string[];
  private readonly now: () => number;

  constructor(
    readonly modelId: string,
    private readonly endpoints: readonly PoolEndpoint[],
    circuit: CircuitSettings,
    opts: EndpointPoolOptions = {},
  ) {
    if (endpoints.length === 0) throw new Error(`model "${modelId}": an endpoint pool needs an endpoint`);
    this.now = opts.now ?? Date.now;
    this.hosts = endpoints.map((e) => endpointHost(e.baseUrl));
    this.circuits = endpoints.map(
      (_e, i) =>
        new CircuitBreaker({
          ...circuit,
          modelId,
          endpoint: this.label(i),
          now: this.now,
          logger: opts.logger,
        }),
    );
  }

  async call(request: ModelCallRequest): Promise<ModelCallResult> {
    for (let i = 0; i < this.endpoints.length; i++) {
      const permit = this.circuits[i]!.tryAcquire();
      if (!permit) continue;
      try {
        const result = await this.endpoints[i]!.provider.call(request);
        permit.success();
        return this.tagged(i, result);
      } catch (err) {
        if (err instanceof ProviderError) {
          permit.failure(err.errorClass);
          throw this.several ? new ProviderError({ ...err.details, endpoint: i }) : err;
        }
        // The caller's abort (activity cancellation) or a bug: nothing learnt about the endpoint.
        permit.release();
        throw err;
      }
    }
    throw new ProviderError(this.unavailable());
  }

  /** Each endpoint's circuit as a call would find it now. */
  health(): EndpointHealth[] {
    return this.circuits.map((c, i) => ({ endpoint: i, host: this.hosts[i]!, ...c.snapshot() }));
  }

  private get several(): boolean {
    return this.endpoints.length > 1;
  }

  private label(i: number): string {
    return this.several ? `endpoint ${i} (${this.hosts[i]})` : this.hosts[i]!;
  }

  /** A model with one endpoint keeps the result it always had; with several, says which answered. */
  private tagged(i: number, result: ModelCallResult): ModelCallResult {
    return this.several ? { ...result, endpoint: i } : result;
  }

  private unavailable(): ProviderErrorDetails {
    const health = this.health();
    const probing = health.filter((h) => h.probeInFlight).map((h) => h.endpoint);
    const next = health
      .filter((h) => h.probeAt !== null)
      .sort((a, b) => a.probeAt! - b.probeAt!)
      .at(0);
    const now = this.now();
    const parts: string[] = [];
    if (next) {
      parts.push(
        `the earliest probe is ${this.label(next.endpoint)} in ${Math.max(0, next.probeAt! - now)} ms ` +
          `(at ${new Date(next.probeAt!).toISOString()})`,
      );
    }
    if (probing.length > 0)
      parts.push(`a probe is in flight on ${probing.map((i) => this.label(i)).join(', ')}`);
    const count = this.endpoints.length;
    return noCallFailure(
      'endpoint_unavailable',
      false,
      `model "${this.modelId}": unavailable, the circuit of ${count === 1 ? 'its endpoint' : `all ${count} endpoints`} ` +
        `is open (call not made); ${parts.join('; ')}`,
    );
  }
}
