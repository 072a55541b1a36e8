/**
 * How long the workflow waits before retrying a transient failure: exponential from the
 * policy's initial backoff, capped, but never shorter than what the endpoint asked for in
 * Retry-After (asking again sooner only earns another 429).
 *
 * `jitter` in [0, 1) stretches the wait by up to half (the cap included), so the requests a 429
 * burst or an outage failed together do not all come back in the same instant. The workflow
 * draws it from its deterministic Math.random; 0 is the wait without jitter.
 */
import type { LimitsConfig } from '../config/schema';

export function backoffMs(
  failedAttempt: number,
  limits: Pick<LimitsConfig, 'initialBackoffMs' | 'maxBackoffMs'>,
  retryAfterMs: number | null,
  jitter = 0,
): number {
  const exp = Math.min(limits.maxBackoffMs, limits.initialBackoffMs * 2 ** Math.max(0, failedAttempt - 1));
  const base = Math.max(exp, retryAfterMs ?? 0);
  if (!(jitter > 0)) return base;
  return Math.round(base * (1 + Math.min(jitter, 1) / 2));
}
