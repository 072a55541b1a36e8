/**
 * The circuit breaker's state machine, on an injected clock: no sleeps, no wall time.
 */
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitOptions,
  type CircuitPermit,
  healthEffect,
} from '../../src/request/providers/circuit';
import { EndpointPool } from '../../src/request/providers/endpoint-pool';
import {
  type ErrorClass,
  type ModelCallResult,
  type ModelProvider,
  ProviderError,
} from '../../src/request/providers/types';

function harness(overrides: Partial<CircuitOptions> = {}) {
  const clock = { t: 1_000_000 };
  const logs: string[] = [];
  const circuit = new CircuitBreaker({
    modelId: 'small',
    endpoint: 'replica-a.example:8000',
    failureThreshold: 3,
    cooldownMs: 30_000,
    now: () => clock.t,
    logger: { warn: (m) => logs.push(m) },
    ...overrides,
  });
  /** One call through the circuit that ends with `outcome` ('ok' or an error class). */
  const call = (outcome: 'ok' | ErrorClass): boolean => {
    const permit = circuit.tryAcquire();
    if (!permit) return false;
    if (outcome === 'ok') permit.success();
    else permit.failure(outcome);
    return true;
  };
  return { clock, logs, circuit, call, state: () => circuit.snapshot().state };
}

describe('healthEffect', () => {
  it('counts transport and server failures, trips on config_error, and treats the rest as healthy', () => {
    expect(
      ['server_error', 'timeout', 'connection', 'malformed_response'].map((c) =>
        healthEffect(c as ErrorClass),
      ),
    ).toEqual(['failure', 'failure', 'failure', 'failure']);
    expect(healthEffect('config_error')).toBe('trip');
    expect(
      ['rate_limited', 'bad_request', 'not_found', 'context_length'].map((c) =>
        healthEffect(c as ErrorClass),
      ),
    ).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    expect(healthEffect('endpoint_unavailable')).toBe('none');
  });
});

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures, and refuses calls while open', () => {
    const h = harness();
    expect(h.call('server_error')).toBe(true);
    expect(h.call('timeout')).toBe(true);
    expect(h.state()).toBe('closed');
    expect(h.circuit.snapshot().consecutiveFailures).toBe(2);
    expect(h.call('connection')).toBe(true);
    expect(h.state()).toBe('open');
    expect(h.circuit.snapshot().probeAt).toBe(h.clock.t + 30_000);
    expect(h.circuit.tryAcquire()).toBeNull();
    h.clock.t += 29_999;
    expect(h.circuit.tryAcquire()).toBeNull();
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatch(
      /circuit open for model "small" at replica-a\.example:8000: 3 consecutive failures/,
    );
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const h = harness();
    h.call('server_error');
    h.call('malformed_response');
    h.call('ok');
    h.call('server_error');
    h.call('server_error');
    expect(h.state()).toBe('closed');
    h.call('server_error');
    expect(h.state()).toBe('open');
  });

  it('never opens on rate_limited: the endpoint is up, just busy (and a 429 resets the count)', () => {
    const h = harness({ failureThreshold: 2 });
    for (let i = 0; i < 20; i++) h.call('rate_limited');
    expect(h.state()).toBe('closed');
    h.call('server_error');
    h.call('rate_limited');
    h.call('server_error');
    expect(h.state()).toBe('closed');
    expect(h.logs).toEqual([]);
  });

  it('does not count client errors (bad_request, not_found, context_length)', () => {
    const h = harness({ failureThreshold: 1 });
    for (const c of ['bad_request', 'not_found', 'context_length'] as const) h.call(c);
    expect(h.state()).toBe('closed');
  });

  it('opens at once on config_error (401/403), whatever the threshold, and says to fix the key', () => {
    const h = harness({ failureThreshold: 100 });
    h.call('config_error');
    expect(h.state()).toBe('open');
    expect(h.logs[0]).toMatch(/config_error: credentials or permissions rejected/);
    expect(h.logs.join('\n')).not.toMatch(/Bearer|sk-/);
  });

  it('after the cooldown admits exactly one probe; other calls still see it open', () => {
    const h = harness({ failureThreshold: 1 });
    h.call('server_error');
    h.clock.t += 30_000;
    expect(h.state()).toBe('half_open');
    const probe = h.circuit.tryAcquire();
    expect(probe?.probe).toBe(true);
    expect(h.circuit.snapshot()).toMatchObject({ state: 'half_open', probeInFlight: true });
    expect(h.circuit.tryAcquire()).toBeNull();
    expect(h.circuit.tryAcquire()).toBeNull();
    probe!.success();
    expect(h.state()).toBe('closed');
  });

  it('a successful probe closes the circuit and resets the count', () => {
    const h = harness({ failureThreshold: 2 });
    h.call('timeout');
    h.call('timeout');
    h.clock.t += 30_000;
    expect(h.call('ok')).toBe(true);
    expect(h.circuit.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, probeAt: null });
    expect(h.logs.at(-1)).toMatch(
      /circuit closed for model "small" at replica-a\.example:8000: probe answered/,
    );
    // Closed again: it takes the full threshold to reopen.
    h.call('timeout');
    expect(h.state()).toBe('closed');
  });

  it('a failed probe re-opens the circuit for another full cooldown', () => {
    const h = harness({ failureThreshold: 2 });
    h.call('server_error');
    h.call('server_error');
    h.clock.t += 45_000; // later than the cooldown: the new one counts from the probe's failure
    expect(h.call('connection')).toBe(true);
    expect(h.state()).toBe('open');
    expect(h.circuit.snapshot().probeAt).toBe(h.clock.t + 30_000);
    expect(h.logs.at(-1)).toMatch(/probe failed \(connection\)/);
    h.clock.t += 29_999;
    expect(h.circuit.tryAcquire()).toBeNull();
    h.clock.t += 1;
    expect(h.circuit.tryAcquire()?.probe).toBe(true);
  });

  it('a probe answered with a 429 or a client error closes it: the endpoint is reachable again', () => {
    for (const c of ['rate_limited', 'bad_request'] as const) {
      const h = harness({ failureThreshold: 1 });
      h.call('server_error');
      h.clock.t += 30_000;
      h.call(c);
      expect(h.state()).toBe('closed');
    }
  });

  it('a probe the caller aborted hands its slot back without changing the state', () => {
    const h = harness({ failureThreshold: 1 });
    h.call('server_error');
    h.clock.t += 30_000;
    const probe = h.circuit.tryAcquire()!;
    expect(h.circuit.tryAcquire()).toBeNull();
    probe.release();
    expect(h.circuit.snapshot()).toMatchObject({ state: 'half_open', probeInFlight: false });
    const next = h.circuit.tryAcquire();
    expect(next?.probe).toBe(true);
  });

  it('ignores a second report, and reports of calls admitted before the circuit changed state', () => {
    const h = harness({ failureThreshold: 2 });
    const slow: CircuitPermit = h.circuit.tryAcquire()!; // admitted while closed
    h.call('server_error');
    h.call('server_error');
    expect(h.state()).toBe('open');
    const openUntil = h.circuit.snapshot().probeAt;
    h.clock.t += 10_000;
    slow.failure('timeout'); // arrives while open: does not extend the cooldown
    expect(h.circuit.snapshot().probeAt).toBe(openUntil);
    slow.success(); // already reported
    expect(h.state()).toBe('open');

    h.clock.t += 20_000;
    const probe = h.circuit.tryAcquire()!;
    probe.success();
    probe.failure('server_error'); // a second report of the same call
    expect(h.state()).toBe('closed');
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => harness({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => harness({ cooldownMs: 0 })).toThrow(/cooldownMs/);
  });
});

describe('EndpointPool (in memory; the HTTP version is test/e2e/failover.test.ts)', () => {
  const ok = (modelId: string): ModelCallResult => ({
    modelId,
    answer: 'A',
    finishReason: 'stop',
    logprobs: null,
    usage: { tokensIn: 1, tokensOut: 1 },
    costUsd: 0,
    latencyMs: 1,
    derivedFields: [],
  });
  const failing = (errorClass: ErrorClass): ModelProvider => ({
    call: () =>
      Promise.reject(
        new ProviderError({
          errorClass,
          retryable: false,
          status: null,
          retryAfterMs: null,
          latencyMs: 1,
          tokensIn: 0,
          tokensOut: 0,
          costUsd: 0,
          message: errorClass,
        }),
      ),
  });
  const request = { messages: [{ role: 'user' as const, content: 'hi' }] };

  it('a model with one endpoint keeps its result shape, and still has a circuit', async () => {
    const clock = { t: 0 };
    const pool = new EndpointPool(
      'm',
      [{ baseUrl: 'http://a:1/v1', provider: failing('server_error') }],
      {
        failureThreshold: 1,
        cooldownMs: 1_000,
      },
      { now: () => clock.t, logger: { warn: () => {} } },
    );
    const details = (p: Promise<unknown>) =>
      p.then(
        () => expect.unreachable('the call should fail'),
        (e: ProviderError) => e.details,
      );
    const first = await details(pool.call(request));
    expect(first).toMatchObject({ errorClass: 'server_error' });
    expect(first).not.toHaveProperty('endpoint');
    const second = await details(pool.call(request));
    expect(second).toMatchObject({
      errorClass: 'endpoint_unavailable',
      retryable: false,
      latencyMs: 0,
      costUsd: 0,
    });
    expect(second.message).toMatch(/model "m".*in 1000 ms/);
  });

  it('an abort that is not a ProviderError passes through and counts nothing', async () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    const pool = new EndpointPool(
      'm',
      [
        { baseUrl: 'http://a:1/v1', provider: { call: () => Promise.reject(abort) } },
        { baseUrl: 'http://b:1/v1', provider: { call: () => Promise.resolve(ok('m')) } },
      ],
      { failureThreshold: 1, cooldownMs: 1_000 },
      { now: () => 0, logger: { warn: () => {} } },
    );
    await expect(pool.call(request)).rejects.toBe(abort);
    expect(pool.health().map((h) => h.state)).toEqual(['closed', 'closed']);
  });
});
