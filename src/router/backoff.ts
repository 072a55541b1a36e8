/**
 * How long the workflow waits before retrying a transient failure: exponential from the
 * policy's initial backoff, capped, but never shorter than what the endpoint asked for in
 * Retry-After (asking again sooner only earns another 429).
 */
import type { LimitsConfig } from '../config/schema';

export function backoffMs(
  failedAttempt: number,
  limits: Pick<LimitsConfig, 'initialBackoffMs' | 'maxBackoffMs'>,
  retryAfterMs: number | null,
): number {
  const exp = Math.min(limits.maxBackoffMs, limits.initialBackoffMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.max(exp, retryAfterMs ?? 0);
}
