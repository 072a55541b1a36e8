/**
 * Retry waits (src/request/router/backoff.ts): exponential and capped, never shorter than Retry-After,
 * and spread by jitter so that requests failed together by one 429 burst do not retry in the
 * same instant. The workflow draws the jitter from its deterministic Math.random.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../src/request/router/backoff';
import { seededRandom } from '../../src/request/router/random';

const LIMITS = { initialBackoffMs: 500, maxBackoffMs: 10_000 };

describe('backoffMs', () => {
  it('without jitter: doubles from the initial backoff, capped, never under Retry-After', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, LIMITS, null))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 10_000,
    ]);
    expect(backoffMs(1, LIMITS, 3_000)).toBe(3_000);
    expect(backoffMs(5, LIMITS, 3_000)).toBe(8_000);
  });

  it('with jitter: 200 requests failed by one 429 burst come back spread over [Retry-After, 1.5x]', () => {
    const random = seededRandom(7);
    const waits = Array.from({ length: 200 }, () => backoffMs(1, LIMITS, 1_000, random()));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(1_000); // never sooner than asked
    expect(Math.max(...waits)).toBeLessThanOrEqual(1_500);
    // Spread: no instant holds more than a few of them, and both halves of the range are used.
    const perMs = new Map<number, number>();
    for (const w of waits) perMs.set(w, (perMs.get(w) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(5);
    expect(waits.filter((w) => w < 1_250).length).toBeGreaterThan(60);
    expect(waits.filter((w) => w >= 1_250).length).toBeGreaterThan(60);
  });
});
