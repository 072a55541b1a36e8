/**
 * A circuit breaker for one model endpoint (docs/architecture.md, "The steps of a request": 401/403 "alert and open that
 * endpoint's circuit rather than silently paying double").
 *
 *   closed ──failureThreshold consecutive unhealthy failures, or one config_error──▶ open
 *   open ──cooldownMs later, the next call is admitted as the one probe──▶ half-open
 *   half-open ──probe answered──▶ closed      half-open ──probe failed──▶ open (another cooldown)
 *
 * What an outcome says about the endpoint (`healthEffect`):
 * - unhealthy, counted: server_error, timeout, connection, malformed_response;
 * - unhealthy at once: config_error (the key or its permissions are wrong: every call would fail
 *   and might bill, so stop calling and alert instead of retrying or paying the next rung twice);
 * - healthy: a success, and also rate_limited (the endpoint is up, just busy, and says when to come
 *   back with Retry-After) and the client errors bad_request, not_found, context_length (the
 *   endpoint answered; the request was at fault). A healthy outcome resets the count.
 * A call that ends with no outcome (the caller aborted it) says nothing and changes nothing,
 * except that a probe's slot is handed back so the next call can probe.
 *
 * State lives in the memory of one worker process: each worker learns an endpoint's health from
 * its own calls. A circuit is not shared across workers, and a restart closes it.
 *
 * Time comes from an injected clock, so the state machine is tested without sleeping.
 */
import type { ErrorClass } from './types';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitSettings {
  /** Consecutive unhealthy failures that open the circuit (config_error opens it at once). */
  failureThreshold: number;
  /** How long an open circuit refuses calls before it lets one probe through. */
  cooldownMs: number;
}

/** Where transitions are reported: console by default. Messages never carry a key. */
export interface CircuitLogger {
  warn(message: string): void;
}

export interface CircuitOptions extends CircuitSettings {
  /** Named in log lines. */
  modelId: string;
  /** The endpoint as shown in log lines: a host, never a URL with credentials. */
  endpoint: string;
  /** Milliseconds, monotonic enough for cooldowns; Date.now by default. */
  now?: () => number;
  logger?: CircuitLogger;
}

export type HealthEffect = 'healthy' | 'failure' | 'trip' | 'none';

/** What a call's error class says about the endpoint's health (see the module comment). */
export function healthEffect(errorClass: ErrorClass): HealthEffect {
  switch (errorClass) {
    case 'server_error':
    case 'timeout':
    case 'connection':
    case 'malformed_response':
      return 'failure';
    case 'config_error':
      return 'trip';
    case 'rate_limited':
    case 'bad_request':
    case 'not_found':
    case 'context_length':
      return 'healthy';
    case 'endpoint_unavailable':
      // Never produced by an endpoint: no call was made.
      return 'none';
  }
}

/**
 * Leave to make one call through a circuit. Report how it ended exactly once; later reports are
 * ignored, and so is a report from before the circuit last changed state (a call admitted while
 * closed that fails after the circuit opened does not extend the cooldown).
 */
export interface CircuitPermit {
  /** Whether this call is the half-open circuit's probe. */
  readonly probe: boolean;
  /** The endpoint answered the call. */
  success(): void;
  /** The call failed with this class; healthEffect decides what it counts as. */
  failure(errorClass: ErrorClass): void;
  /** The call ended without an outcome (aborted by the caller): count nothing. */
  release(): void;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** When an open circuit admits its probe; null unless open. */
  probeAt: number | null;
  /** A half-open circuit's probe is out. */
  probeInFlight: boolean;
}

export class CircuitBreaker {
  private readonly now: () => number;
  private readonly logger: CircuitLogger;
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private lastFailure: ErrorClass | null = null;
  /** Bumped on every transition, so reports from an earlier state are told apart. */
  private generation = 0;

  constructor(private readonly opts: CircuitOptions) {
    if (!Number.isInteger(opts.failureThreshold) || opts.failureThreshold < 1) {
      throw new Error(`failureThreshold must be an integer >= 1, got ${opts.failureThreshold}`);
    }
    if (!(opts.cooldownMs > 0)) throw new Error(`cooldownMs must be > 0, got ${opts.cooldownMs}`);
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? console;
  }

  /**
   * A permit to call the endpoint, or null while the circuit is open (or half-open with its probe
   * out). The first call after the cooldown turns the circuit half-open and is the probe.
   */
  tryAcquire(): CircuitPermit | null {
    if (this.state === 'open' && this.now() >= this.openedAt + this.opts.cooldownMs) {
      this.transition('half_open');
    }
    if (this.state === 'open') return null;
    if (this.state === 'half_open') {
      if (this.probeInFlight) return null;
      this.probeInFlight = true;
      return this.permit(true);
    }
    return this.permit(false);
  }

  /** The state as a call would find it now (an open circuit past its cooldown reads half-open). */
  snapshot(): CircuitSnapshot {
    const due = this.state === 'open' && this.now() >= this.openedAt + this.opts.cooldownMs;
    return {
      state: due ? 'half_open' : this.state,
      consecutiveFailures: this.failures,
      probeAt: this.state === 'open' ? this.openedAt + this.opts.cooldownMs : null,
      probeInFlight: this.state === 'half_open' && this.probeInFlight,
    };
  }

  private permit(probe: boolean): CircuitPermit {
    const generation = this.generation;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (generation !== this.generation) return; // the circuit moved on since this call started
      fn();
    };
    return {
      probe,
      success: () => settle(() => this.onHealthy(probe)),
      failure: (errorClass) =>
        settle(() => {
          const effect = healthEffect(errorClass);
          if (effect === 'healthy') this.onHealthy(probe);
          else if (effect === 'failure' || effect === 'trip') this.onFailure(probe, errorClass, effect);
          else if (probe) this.probeInFlight = false;
        }),
      release: () =>
        settle(() => {
          if (probe) this.probeInFlight = false;
        }),
    };
  }

  private onHealthy(probe: boolean): void {
    this.failures = 0;
    if (probe) {
      this.transition('closed');
      this.logger.warn(
        `circuit closed for model "${this.opts.modelId}" at ${this.opts.endpoint}: probe answered`,
      );
    }
  }

  private onFailure(probe: boolean, errorClass: ErrorClass, effect: 'failure' | 'trip'): void {
    this.failures++;
    this.lastFailure = errorClass;
    if (!probe && effect === 'failure' && this.failures < this.opts.failureThreshold) return;
    const why = probe
      ? `probe failed (${errorClass})`
      : effect === 'trip'
        ? `${errorClass}: credentials or permissions rejected; fix the key named by apiKeyEnv`
        : `${this.failures} consecutive failures (last ${this.lastFailure})`;
    this.transition('open');
    this.logger.warn(
      `circuit open for model "${this.opts.modelId}" at ${this.opts.endpoint}: ${why}; ` +
        `next probe in ${this.opts.cooldownMs} ms`,
    );
  }

  private transition(to: CircuitState): void {
    this.generation++;
    this.state = to;
    this.probeInFlight = false;
    if (to === 'open') this.openedAt = this.now();
    if (to === 'closed') this.failures = 0;
  }
}
