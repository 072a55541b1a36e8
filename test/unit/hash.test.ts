import { describe, expect, it } from 'vitest';
import { unitHash } from '../../src/request/router/hash';

describe('unitHash (rollout buckets and shadow samples)', () => {
  it('is stable and in [0, 1)', () => {
    expect(unitHash('req-42')).toBe(unitHash('req-42'));
    for (let i = 0; i < 1000; i++) {
      const h = unitHash(`x${i}`);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
    }
  });

  it('spreads ids that differ only in their last characters evenly', () => {
    for (const prefix of ['req-', 'sampled-mix9z1-', 'order/2026-11-28/']) {
      const share =
        Array.from({ length: 10_000 }, (_, i) => unitHash(`shadow:${prefix}${i}`) < 0.25).filter(Boolean)
          .length / 10_000;
      expect(share).toBeGreaterThan(0.23);
      expect(share).toBeLessThan(0.27);
    }
  });
});
